package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// allModels returns every model with the configurations the package
// recommends for hourly data.
func allModels() []Model {
	ms := DefaultModels(hourlyPeriods)
	return append(ms,
		HoltWinters{},
		HoltWinters{Trend: TrendAdditive, Season: SeasonAdditive, Period: 24},
		HoltWinters{Trend: TrendDamped, Season: SeasonAdditive, Period: 168},
		ETS{Periods: hourlyPeriods},
		ETS{},
		Theta{},
		Auto{Periods: hourlyPeriods},
	)
}

// TestModelsBadInput holds every model to the package's contract on bad
// input: an error or h finite values, never a panic, a wrong length or a NaN.
func TestModelsBadInput(t *testing.T) {
	withNaN := hourly(400, 2, 1)
	withNaN[200] = math.NaN()
	negative := hourly(400, 2, 1)
	for i := range negative {
		negative[i] -= 200
	}
	zeros := hourly(400, 2, 1)
	for i := range zeros {
		if i%3 == 0 {
			zeros[i] = 0
		}
	}
	inputs := []struct {
		name string
		y    []float64
	}{
		{"empty", nil},
		{"one value", []float64{3}},
		{"short", hourly(30, 2, 1)},
		{"constant", slices.Repeat([]float64{7}, 400)},
		{"zero series", make([]float64, 400)},
		{"NaN", withNaN},
		{"negative", negative},
		{"zeros", zeros},
		{"ok", hourly(400, 2, 1)},
	}
	for _, m := range allModels() {
		for _, in := range inputs {
			f, err := m.Forecast(in.y, 24)
			if err != nil {
				continue
			}
			if len(f) != 24 {
				t.Errorf("%s on %s: %d values, want 24", m.Name(), in.name, len(f))
			}
			for j, v := range f {
				if !isFinite(v) {
					t.Errorf("%s on %s: step %d is %g", m.Name(), in.name, j+1, v)
					break
				}
			}
		}
		if _, err := m.Forecast(hourly(400, 2, 1), 0); err == nil {
			t.Errorf("%s: no error for h = 0", m.Name())
		}
	}
}

func TestModelsRejectNaN(t *testing.T) {
	y := hourly(400, 2, 1)
	y[10] = math.NaN()
	for _, m := range allModels() {
		if _, ok := m.(Auto); ok {
			continue // Auto repairs gaps instead.
		}
		if _, err := m.Forecast(y, 24); !errors.Is(err, ErrNonFinite) {
			t.Errorf("%s: err = %v, want ErrNonFinite", m.Name(), err)
		}
	}
}

func TestModelsForecastTheOkSeries(t *testing.T) {
	y := hourly(400, 2, 1)
	for _, m := range allModels() {
		if _, err := m.Forecast(y, 24); err != nil {
			t.Errorf("%s: %v", m.Name(), err)
		}
	}
}

func TestModelsDoNotModifyInput(t *testing.T) {
	y := hourly(400, 2, 1)
	orig := slices.Clone(y)
	for _, m := range allModels() {
		_, _ = m.Forecast(y, 24)
		if !slices.Equal(y, orig) {
			t.Fatalf("%s modified its input", m.Name())
		}
	}
}
