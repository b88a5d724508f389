package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestSeasonalNaive(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7}
	f := func(period, h int, want []float64) {
		t.Helper()
		got, err := SeasonalNaive{Period: period}.Forecast(y, h)
		if err != nil {
			t.Fatalf("period %d: %v", period, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("period %d, h %d: %v, want %v", period, h, got, want)
		}
	}
	f(3, 7, []float64{5, 6, 7, 5, 6, 7, 5})
	f(1, 2, []float64{7, 7})
	f(0, 2, []float64{7, 7})
	f(7, 2, []float64{1, 2})
}

func TestSeasonalNaiveErrors(t *testing.T) {
	m := SeasonalNaive{Period: 24}
	if _, err := m.Forecast(make([]float64, 23), 5); !errors.Is(err, ErrTooShort) {
		t.Errorf("short: err = %v, want ErrTooShort", err)
	}
	if _, err := m.Forecast(make([]float64, 30), 0); !errors.Is(err, ErrHorizon) {
		t.Errorf("h = 0: err = %v, want ErrHorizon", err)
	}
	y := make([]float64, 30)
	y[3] = math.NaN()
	if _, err := m.Forecast(y, 5); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN: err = %v, want ErrNonFinite", err)
	}
}

func TestSeasonalNaiveName(t *testing.T) {
	for _, c := range []struct {
		period int
		want   string
	}{{0, "naive"}, {1, "naive"}, {24, "snaive"}, {168, "snaive168"}} {
		if got := (SeasonalNaive{Period: c.period}).Name(); got != c.want {
			t.Errorf("period %d: name %q, want %q", c.period, got, c.want)
		}
	}
}
