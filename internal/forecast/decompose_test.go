package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decomposeGoldenY is a seasonal series of period 4 with a trend and noise;
// the indices below are statsmodels' seasonal_decompose of it, which computes
// classical decomposition exactly as R's decompose does.
var decomposeGoldenY = []float64{
	55.001, 47.999, 59.126, 41.209, 57.345, 49.508, 62.26, 46.24, 60.108, 52.68,
	65.49, 48.057, 63.505, 55.17, 67.771, 51.195, 64.856, 58.442, 68.699, 52.01,
	67.158, 61.465, 72.133, 56.371, 71.957, 64.313, 73.683, 58.361, 74.551, 67.413,
}

func TestClassicalDecomposeMatchesReference(t *testing.T) {
	f := func(period int, multiplicative bool, want []float64) {
		t.Helper()
		got := ClassicalDecompose(decomposeGoldenY, period, multiplicative)
		if len(got) != len(want) {
			t.Fatalf("period %d: %d indices, want %d", period, len(got), len(want))
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("period %d multiplicative=%v: index %d = %.12f, want %.12f", period, multiplicative, i, got[i], want[i])
			}
		}
	}
	f(4, true, []float64{1.081526656486, 0.947793097543, 1.131172074486, 0.839508171485})
	f(4, false, []float64{4.846723958333, -3.039046875, 7.709697172619, -9.517374255952})
	f(5, true, []float64{1.001313231513, 1.020340348881, 1.002390370178, 0.960908540609, 1.015047508819})
}

func TestClassicalDecomposeRecoversAdditiveSeason(t *testing.T) {
	// A linear trend plus a zero-sum season: the centred moving average is
	// exactly the trend, so the indices come back exactly.
	season := []float64{3, -1, 4, -1, -5, 0}
	y := make([]float64, 60)
	for i := range y {
		y[i] = 10 + 0.5*float64(i) + season[i%6]
	}
	got := ClassicalDecompose(y, 6, false)
	for i, want := range season {
		if math.Abs(got[i]-want) > 1e-9 {
			t.Fatalf("index %d = %g, want %g", i, got[i], want)
		}
	}
}

func TestClassicalDecomposeRefuses(t *testing.T) {
	if got := ClassicalDecompose([]float64{1, 2, 3, 4, 5}, 4, true); got != nil {
		t.Errorf("fewer than two periods: got %v, want nil", got)
	}
	if got := ClassicalDecompose([]float64{1, -2, 3, -4, 1, -2, 3, -4}, 4, true); got != nil {
		t.Errorf("multiplicative with a non-positive trend: got %v, want nil", got)
	}
	if got := ClassicalDecompose([]float64{1, 2, 3}, 1, false); got != nil {
		t.Errorf("period 1: got %v, want nil", got)
	}
}

func TestSeasonalityTest(t *testing.T) {
	f := func(name string, y []float64, period int, want bool) {
		t.Helper()
		if got := SeasonalityTest(y, period); got != want {
			t.Errorf("%s, period %d: seasonal = %v, want %v", name, period, got, want)
		}
	}
	f("hourly", hourly(500, 5, 1), 24, true)
	f("constant", make([]float64, 500), 24, false)
	f("fewer than three periods", hourly(71, 5, 1), 24, false)
	f("period 1", hourly(500, 5, 1), 1, false)
}

func TestSeasonalityTestFalsePositiveRate(t *testing.T) {
	// The test is at the 90% level: on white noise about one series in ten is
	// called seasonal.
	r := rand.New(rand.NewPCG(3, 4))
	const series = 400
	flagged := 0
	y := make([]float64, 500)
	for range series {
		for i := range y {
			y[i] = r.NormFloat64()
		}
		if SeasonalityTest(y, 24) {
			flagged++
		}
	}
	if rate := float64(flagged) / series; rate < 0.03 || rate > 0.18 {
		t.Fatalf("white noise called seasonal in %.1f%% of series, want about 10%%", 100*rate)
	}
}
