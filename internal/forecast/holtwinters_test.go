package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// simulateHW generates n values from an additive Holt-Winters model with the
// given parameters, plus noise that is zero when noise is 0.
func simulateHW(n, period int, alpha, beta, gamma float64, noise []float64) []float64 {
	l, b := 100.0, 0.5
	s := make([]float64, period)
	for i := range s {
		s[i] = 10 * math.Sin(2*math.Pi*float64(i)/float64(period))
	}
	y := make([]float64, n)
	for t := range y {
		e := 0.0
		if noise != nil {
			e = noise[t]
		}
		y[t] = l + b + s[t%period] + e
		l, b, s[t%period] = l+b+alpha*e, b+beta*e, s[t%period]+gamma*e
	}
	return y
}

func TestHoltWintersRecoversNoiselessSeries(t *testing.T) {
	// Without noise the states never change from their start, so the series
	// is a line plus a fixed season and any fitted model that reproduces it
	// must forecast the continuation exactly.
	const period, n, h = 12, 240, 24
	full := simulateHW(n+h, period, 0.3, 0.05, 0.1, nil)
	for _, m := range []HoltWinters{
		{Trend: TrendAdditive, Season: SeasonAdditive, Period: period},
		{Trend: TrendDamped, Season: SeasonAdditive, Period: period},
	} {
		f, err := m.Forecast(full[:n], h)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		for j, v := range f {
			// A damped trend keeps Σφ^i of the j slopes, φ in [0.8, 0.98].
			lo, hi := full[n+j], full[n+j]
			if m.Trend == TrendDamped {
				lo -= 0.5 * (float64(j+1) - dampedSum(0.8, j+1))
				hi -= 0.5 * (float64(j+1) - dampedSum(0.98, j+1))
			}
			if v < lo-1e-3 || v > hi+1e-3 {
				t.Fatalf("%s: step %d: %g, want within [%g, %g]", m.Name(), j+1, v, lo, hi)
			}
		}
	}
}

// dampedSum returns φ + φ² + … + φ^k.
func dampedSum(phi float64, k int) float64 {
	s, p := 0.0, 1.0
	for range k {
		p *= phi
		s += p
	}
	return s
}

func TestHoltWintersFitsParameters(t *testing.T) {
	// Noisy data from known parameters: the fit must land near them.
	r := rand.New(rand.NewPCG(9, 9))
	noise := make([]float64, 2000)
	for i := range noise {
		noise[i] = r.NormFloat64()
	}
	y := simulateHW(2000, 12, 0.4, 0, 0.2, noise)
	fit, err := fitHoltWinters(y, TrendAdditive, SeasonAdditive, 12)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.alpha-0.4) > 0.1 || math.Abs(fit.gamma-0.2) > 0.1 || fit.beta > 0.05 {
		t.Fatalf("fitted α=%.3f β=%.3f γ=%.3f, want about 0.4, 0 and 0.2", fit.alpha, fit.beta, fit.gamma)
	}
}

func TestHoltWintersMultiplicativeSeason(t *testing.T) {
	// A season whose amplitude grows with the level: multiplicative must
	// forecast it better than additive.
	const period, n, h = 24, 24 * 20, 48
	y := make([]float64, n+h)
	for i := range y {
		level := 100 * math.Exp(0.002*float64(i))
		y[i] = level * (1 + 0.5*math.Sin(2*math.Pi*float64(i%period)/period))
	}
	mae := func(m HoltWinters) float64 {
		f, err := m.Forecast(y[:n], h)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		var s float64
		for j, v := range f {
			s += math.Abs(v - y[n+j])
		}
		return s / h
	}
	mul := mae(HoltWinters{Trend: TrendDamped, Season: SeasonMultiplicative, Period: period})
	add := mae(HoltWinters{Trend: TrendDamped, Season: SeasonAdditive, Period: period})
	if !(mul < add) {
		t.Fatalf("multiplicative MAE %.3f not below additive %.3f", mul, add)
	}
}

func TestHoltWintersErrors(t *testing.T) {
	y := hourly(100, 1, 1)
	f := func(m HoltWinters, y []float64, want error) {
		t.Helper()
		if _, err := m.Forecast(y, 10); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", m.Name(), err, want)
		}
	}
	f(HoltWinters{Season: SeasonAdditive, Period: 24}, y[:47], ErrTooShort)
	f(HoltWinters{}, y[:2], ErrTooShort)
	neg := slices.Clone(y)
	neg[50] = -1
	f(HoltWinters{Season: SeasonMultiplicative, Period: 24}, neg, ErrNonPositive)
	nan := slices.Clone(y)
	nan[10] = math.NaN()
	f(HoltWinters{}, nan, ErrNonFinite)
	if _, err := (HoltWinters{Season: SeasonAdditive, Period: 1}).Forecast(y, 10); err == nil {
		t.Error("seasonal with period 1: no error")
	}
	if _, err := (HoltWinters{Trend: Trend(7)}).Forecast(y, 10); err == nil {
		t.Error("unknown trend: no error")
	}
}

func TestHoltWintersName(t *testing.T) {
	for _, c := range []struct {
		m    HoltWinters
		want string
	}{
		{HoltWinters{}, "hw-NN"},
		{HoltWinters{Trend: TrendAdditive, Season: SeasonAdditive, Period: 24}, "hw-AA24"},
		{HoltWinters{Trend: TrendDamped, Season: SeasonMultiplicative, Period: 168}, "hw-AdM168"},
	} {
		if got := c.m.Name(); got != c.want {
			t.Errorf("name %q, want %q", got, c.want)
		}
	}
}
