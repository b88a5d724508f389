package forecast

import "testing"

func benchmarkModel(b *testing.B, m Model) {
	y := hourly(960, 5, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Forecast(y, 48); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeasonalNaive(b *testing.B) { benchmarkModel(b, SeasonalNaive{Period: 24}) }

func BenchmarkHoltWintersAdditive(b *testing.B) {
	benchmarkModel(b, HoltWinters{Trend: TrendAdditive, Season: SeasonAdditive, Period: 24})
}

func BenchmarkHoltWintersDampedMultiplicative(b *testing.B) {
	benchmarkModel(b, HoltWinters{Trend: TrendDamped, Season: SeasonMultiplicative, Period: 24})
}

func BenchmarkETS(b *testing.B) { benchmarkModel(b, ETS{Periods: []int{24, 168}}) }

func BenchmarkTheta(b *testing.B) { benchmarkModel(b, Theta{Periods: []int{168, 24}}) }

func BenchmarkMSTL(b *testing.B) { benchmarkModel(b, MSTL{Periods: []int{24, 168}}) }

func BenchmarkMSTLLog(b *testing.B) { benchmarkModel(b, MSTL{Periods: []int{24, 168}, Log: true}) }

func BenchmarkAuto(b *testing.B) { benchmarkModel(b, Auto{Periods: []int{24, 168}}) }
