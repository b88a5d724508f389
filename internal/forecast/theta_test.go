package forecast

import (
	"math"
	"testing"
)

func TestThetaReseasonalisesExactly(t *testing.T) {
	// A constant level times a fixed season: the decomposition removes the
	// season exactly, the adjusted series is flat, and the forecast must be
	// the season on that level.
	const period, n, h = 24, 24 * 10, 48
	y := make([]float64, n+h)
	for i := range y {
		y[i] = 100 * (1 + 0.4*math.Sin(2*math.Pi*float64(i%period)/period))
	}
	f, err := Theta{Periods: []int{period}}.Forecast(y[:n], h)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		if math.Abs(v-y[n+j]) > 1e-6 {
			t.Fatalf("step %d: %g, want %g", j+1, v, y[n+j])
		}
	}
}

func TestThetaIsSESWithHalfTheDrift(t *testing.T) {
	// On a noiseless line the θ=2 line equals the series, SES ends on its
	// last value (α → 1), and the forecast is the mean of the extended line
	// and that last value: it grows at half the slope.
	y := make([]float64, 50)
	for i := range y {
		y[i] = 10 + 2*float64(i)
	}
	f, err := Theta{}.Forecast(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		line := 10 + 2*float64(50+j)
		want := 0.5*line + 0.5*y[49]
		if math.Abs(v-want) > 0.01 {
			t.Fatalf("step %d: %g, want %g", j+1, v, want)
		}
	}
}

func TestThetaNonPositiveUsesAdditiveSeason(t *testing.T) {
	const period, n = 24, 24 * 10
	y := make([]float64, n)
	for i := range y {
		y[i] = 10 * math.Sin(2*math.Pi*float64(i%period)/period) // Crosses zero.
	}
	f, err := Theta{Periods: []int{period}}.Forecast(y, 24)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		if math.Abs(v-y[n-period+j]) > 1e-6 {
			t.Fatalf("step %d: %g, want %g", j+1, v, y[n-period+j])
		}
	}
}
