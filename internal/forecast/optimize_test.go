package forecast

import (
	"math"
	"testing"
)

func TestNelderMeadQuadratic(t *testing.T) {
	f := func(x []float64) float64 {
		return (x[0]-0.3)*(x[0]-0.3) + 10*(x[1]-0.7)*(x[1]-0.7) + (x[2]-0.5)*(x[2]-0.5)
	}
	x, v := nelderMead(f, []float64{0.9, 0.1, 0.1}, []float64{0.1, 0.1, 0.1},
		[]float64{0, 0, 0}, []float64{1, 1, 1}, 2000, 1e-14)
	want := []float64{0.3, 0.7, 0.5}
	for i := range want {
		if math.Abs(x[i]-want[i]) > 1e-4 {
			t.Fatalf("minimiser %v, want %v (value %g)", x, want, v)
		}
	}
}

func TestNelderMeadRespectsBounds(t *testing.T) {
	evaluated := 0
	f := func(x []float64) float64 {
		evaluated++
		if x[0] < 0.2 || x[0] > 0.8 || x[1] < 0.2 || x[1] > 0.8 {
			t.Fatalf("evaluated outside the box at %v", x)
		}
		// The unconstrained minimum (2, -1) lies outside the box.
		return (x[0]-2)*(x[0]-2) + (x[1]+1)*(x[1]+1)
	}
	x, _ := nelderMead(f, []float64{0.5, 0.5}, []float64{0.1, 0.1},
		[]float64{0.2, 0.2}, []float64{0.8, 0.8}, 500, 1e-12)
	if math.Abs(x[0]-0.8) > 1e-6 || math.Abs(x[1]-0.2) > 1e-6 {
		t.Fatalf("minimiser %v, want the corner (0.8, 0.2)", x)
	}
	if evaluated > 500+4 {
		t.Fatalf("%d evaluations, limit 500", evaluated)
	}
}

func TestNelderMeadNaNIsWorst(t *testing.T) {
	// NaN where x > 0.5 must steer the search away, not stall it.
	f := func(x []float64) float64 {
		if x[0] > 0.5 {
			return math.NaN()
		}
		return (x[0] - 0.4) * (x[0] - 0.4)
	}
	x, v := nelderMead(f, []float64{0.45}, []float64{0.1}, []float64{0}, []float64{1}, 500, 1e-14)
	if math.Abs(x[0]-0.4) > 1e-4 || math.IsNaN(v) {
		t.Fatalf("minimiser %v (value %g), want 0.4", x, v)
	}
}

func TestGoldenSection(t *testing.T) {
	x := goldenSection(func(x float64) float64 { return math.Abs(x - 0.37) }, 0, 1, 1e-7)
	if math.Abs(x-0.37) > 1e-6 {
		t.Fatalf("minimiser %g, want 0.37", x)
	}
	// A minimum at the boundary.
	x = goldenSection(func(x float64) float64 { return x }, 0.1, 1, 1e-7)
	if math.Abs(x-0.1) > 1e-6 {
		t.Fatalf("minimiser %g, want 0.1", x)
	}
}
