package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestETSSelectsSeasonality(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	walk := make([]float64, 600)
	v := 100.0
	for i := range walk {
		v += r.NormFloat64()
		walk[i] = v
	}
	weekly := make([]float64, 24*7*5)
	for i := range weekly {
		day := 10 * math.Sin(2*math.Pi*float64(i%24)/24)
		if (i/24)%7 >= 5 {
			day = 30 + 3*day // Weekends differ: only a weekly season fits.
		}
		weekly[i] = 200 + day + r.NormFloat64()
	}
	daily := make([]float64, 600)
	for i := range daily {
		daily[i] = 100 + 10*math.Sin(2*math.Pi*float64(i%24)/24) + r.NormFloat64()
	}
	f := func(name string, y []float64, wantSeason bool, wantPeriod int) {
		t.Helper()
		m, err := ETS{Periods: []int{24, 168}}.Select(y)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := m.Season != SeasonNone; got != wantSeason || (wantSeason && m.Period != wantPeriod) {
			t.Fatalf("%s: selected %s, want seasonal=%v period %d", name, m.Name(), wantSeason, wantPeriod)
		}
	}
	f("random walk", walk, false, 0)
	f("daily", daily, true, 24)
	f("weekly", weekly, true, 168)
}

func TestETSWithoutPeriodsIsNonSeasonal(t *testing.T) {
	m, err := ETS{}.Select(hourly(300, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if m.Season != SeasonNone {
		t.Fatalf("selected %s without candidate periods", m.Name())
	}
}

func TestETSSkipsMultiplicativeForNonPositive(t *testing.T) {
	y := hourly(400, 2, 3)
	for i := range y {
		y[i] -= 200 // Around zero, with negative values.
	}
	m, err := ETS{Periods: []int{24}}.Select(y)
	if err != nil {
		t.Fatal(err)
	}
	if m.Season == SeasonMultiplicative {
		t.Fatalf("selected %s for a series with negative values", m.Name())
	}
	f, err := ETS{Periods: []int{24}}.Forecast(y, 48)
	if err != nil || len(f) != 48 {
		t.Fatalf("forecast %d values, err %v", len(f), err)
	}
}

func TestETSPrefersAPerfectSeasonalFit(t *testing.T) {
	y := make([]float64, 24*10)
	for i := range y {
		y[i] = []float64{5, 9, 2, 7}[i%4] + float64(i%24) // Exactly periodic.
	}
	m, err := ETS{Periods: []int{24}}.Select(y)
	if err != nil {
		t.Fatal(err)
	}
	if m.Season == SeasonNone {
		t.Fatalf("selected %s for an exactly periodic series", m.Name())
	}
	f, err := m.Forecast(y, 24)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		if math.Abs(v-y[len(y)-24+j]) > 1e-6 {
			t.Fatalf("step %d: %g, want %g", j+1, v, y[len(y)-24+j])
		}
	}
}
