package m4

import (
	"errors"
	"math"
	"testing"

	"github.com/vigil-aiops/vigil/internal/forecast"
)

func TestNaive2NotSeasonal(t *testing.T) {
	// A ramp has no season at lag 24: Naive2 is the naive forecast.
	y := make([]float64, 200)
	for i := range y {
		y[i] = float64(i%7) + 100
	}
	f, err := Naive2{}.Forecast(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		if v != y[len(y)-1] {
			t.Fatalf("step %d: %g, want the last value %g", j+1, v, y[len(y)-1])
		}
	}
}

func TestNaive2Seasonal(t *testing.T) {
	// A multiplicative daily season on a level that moves: Naive2 is the last
	// seasonally adjusted value times the indices of the coming hours.
	y := make([]float64, 24*30)
	for i := range y {
		y[i] = (100 + float64(i/50)) * (1 + 0.5*math.Sin(2*math.Pi*float64(i%24)/24))
	}
	idx := forecast.ClassicalDecompose(y, 24, true)
	n := len(y)
	f, err := Naive2{}.Forecast(y, 30)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		want := y[n-1] / idx[(n-1)%24] * idx[(n+j)%24]
		if math.Abs(v-want) > 1e-9 {
			t.Fatalf("step %d: %g, want %g", j+1, v, want)
		}
	}
}

func TestNaive2ShortSeriesIsNaive(t *testing.T) {
	// Fewer than three seasons, or fewer than 24 autocorrelation lags in R's
	// acf (n < 251), counts as not seasonal.
	y := make([]float64, 240)
	for i := range y {
		y[i] = 10 + 5*math.Sin(2*math.Pi*float64(i%24)/24)
	}
	f, err := Naive2{}.Forecast(y, 3)
	if err != nil {
		t.Fatal(err)
	}
	if f[0] != y[239] || f[2] != y[239] {
		t.Fatalf("forecast %v, want the last value %g", f, y[239])
	}
}

func TestNaive2Errors(t *testing.T) {
	if _, err := (Naive2{}).Forecast(nil, 3); !errors.Is(err, forecast.ErrTooShort) {
		t.Errorf("empty: err = %v", err)
	}
	if _, err := (Naive2{}).Forecast([]float64{1}, 0); !errors.Is(err, forecast.ErrHorizon) {
		t.Errorf("h = 0: err = %v", err)
	}
}

func TestNaive2MatchesReference(t *testing.T) {
	// Forecasts of an independent implementation (statsmodels'
	// seasonal_decompose and acf, which compute what R's decompose and acf
	// do) on real series.
	ds := requireData(t)
	want := map[string][3]float64{ // Steps 1, 2 and 48.
		"H1":   {620.1734949864461, 555.3455926203897, 684.0},
		"H5":   {3832.3345561200167, 3605.0603759996256, 4081.9999999999995},
		"H207": {19.88996103186441, 19.23174101411636, 20.6},
		"H413": {39.073565212649626, 32.620292795336724, 46.0},
	}
	found := 0
	for _, s := range ds.Series {
		w, ok := want[s.ID]
		if !ok {
			continue
		}
		found++
		f, err := Naive2{}.Forecast(s.Train, Horizon)
		if err != nil {
			t.Fatal(err)
		}
		for k, j := range []int{0, 1, 47} {
			if math.Abs(f[j]-w[k]) > 1e-9*math.Abs(w[k]) {
				t.Errorf("%s step %d: %.12g, want %.12g", s.ID, j+1, f[j], w[k])
			}
		}
	}
	if found != len(want) {
		t.Fatalf("found %d of the %d reference series", found, len(want))
	}
}
