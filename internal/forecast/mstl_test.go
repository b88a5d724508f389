package forecast

import (
	"errors"
	"math"
	"testing"
)

// corr returns the Pearson correlation of a and b.
func corr(a, b []float64) float64 {
	ma, mb := mean(a), mean(b)
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestMSTLDecomposeRecoversComponents(t *testing.T) {
	const n = 24 * 7 * 6
	trend := make([]float64, n)
	daily := make([]float64, n)
	weekly := make([]float64, n)
	y := make([]float64, n)
	for i := range y {
		trend[i] = 100 + 0.05*float64(i)
		daily[i] = 20 * math.Sin(2*math.Pi*float64(i%24)/24)
		weekly[i] = 15 * math.Cos(2*math.Pi*float64(i%168)/168)
		y[i] = trend[i] + daily[i] + weekly[i]
	}
	d := MSTLDecompose(y, []int{168, 24, 24})
	if len(d.Periods) != 2 || d.Periods[0] != 24 || d.Periods[1] != 168 {
		t.Fatalf("periods %v, want [24 168]", d.Periods)
	}
	for i := range y {
		sum := d.Trend[i] + d.Seasonal[0][i] + d.Seasonal[1][i] + d.Remainder[i]
		if math.Abs(sum-y[i]) > 1e-9 {
			t.Fatalf("t=%d: components sum to %g, want %g", i, sum, y[i])
		}
	}
	if c := corr(d.Seasonal[0], daily); c < 0.99 {
		t.Errorf("daily component correlates %.3f with the truth", c)
	}
	if c := corr(d.Seasonal[1], weekly); c < 0.95 {
		t.Errorf("weekly component correlates %.3f with the truth", c)
	}
	for i := 200; i < n-200; i++ {
		if math.Abs(d.Trend[i]-trend[i]) > 2 {
			t.Fatalf("t=%d: trend %g, want about %g", i, d.Trend[i], trend[i])
		}
	}
}

func TestMSTLDecomposeDropsLongPeriods(t *testing.T) {
	y := hourly(300, 1, 1) // Less than two weeks.
	d := MSTLDecompose(y, []int{24, 168, 1})
	if len(d.Periods) != 1 || d.Periods[0] != 24 {
		t.Fatalf("periods %v, want [24]", d.Periods)
	}
	none := MSTLDecompose(y[:40], []int{24})
	if len(none.Periods) != 0 || len(none.Trend) != 40 {
		t.Fatalf("40 values: periods %v, trend of %d", none.Periods, len(none.Trend))
	}
}

func TestMSTLForecastsBothSeasons(t *testing.T) {
	const n, h = 24 * 7 * 5, 48
	y := make([]float64, n+h)
	for i := range y {
		y[i] = 100 + 20*math.Sin(2*math.Pi*float64(i%24)/24) + 15*math.Cos(2*math.Pi*float64(i%168)/168)
	}
	for _, m := range []MSTL{{Periods: []int{24, 168}}, {Periods: []int{24, 168}, Log: true}} {
		f, err := m.Forecast(y[:n], h)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		var mae float64
		for j, v := range f {
			mae += math.Abs(v-y[n+j]) / h
		}
		if mae > 1 {
			t.Errorf("%s: mean absolute error %.3f on a noiseless series", m.Name(), mae)
		}
	}
}

func TestMSTLLogNeedsPositiveValues(t *testing.T) {
	y := hourly(400, 1, 1)
	y[100] = 0
	if _, err := (MSTL{Periods: []int{24}, Log: true}).Forecast(y, 10); !errors.Is(err, ErrNonPositive) {
		t.Fatalf("err = %v, want ErrNonPositive", err)
	}
	if _, err := (MSTL{Periods: []int{24}}).Forecast(y, 10); err != nil {
		t.Fatalf("without Log: %v", err)
	}
}
