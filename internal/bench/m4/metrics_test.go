package m4

import (
	"math"
	"testing"
)

func TestSMAPE(t *testing.T) {
	f := func(actual, fc []float64, want float64) {
		t.Helper()
		if got := SMAPE(actual, fc); math.Abs(got-want) > 1e-12 {
			t.Errorf("SMAPE(%v, %v) = %g, want %g", actual, fc, got, want)
		}
	}
	f([]float64{100, 200}, []float64{100, 200}, 0)
	// 200·10/190 and 200·20/420, averaged.
	f([]float64{100, 200}, []float64{90, 220}, (200*10.0/190+200*20.0/420)/2)
	f([]float64{1}, []float64{-1}, 200)
	f([]float64{0, 5}, []float64{0, 5}, 0)
}

func TestMASE(t *testing.T) {
	// With m = 2 the scale is the mean of |x_t − x_{t−2}|: |3−1|, |2−2|,
	// |7−3| → 2.
	train := []float64{1, 2, 3, 2, 7}
	if got := MASEScale(train, 2); got != 2 {
		t.Fatalf("scale %g, want 2", got)
	}
	if got := MASE(train, []float64{10, 10}, []float64{11, 7}, 2); got != 1 {
		t.Fatalf("MASE %g, want (1+3)/2/2 = 1", got)
	}
	if got := MASEScale(train[:2], 2); !math.IsNaN(got) {
		t.Fatalf("scale of a series no longer than m: %g, want NaN", got)
	}
	if got := MASE([]float64{1, 1, 1}, []float64{2}, []float64{1}, 1); !math.IsInf(got, 1) {
		t.Fatalf("MASE with a zero scale: %g, want +Inf", got)
	}
}

func TestOWA(t *testing.T) {
	naive2 := Score{SMAPE: 20, MASE: 2}
	if got := OWA(20, 2, naive2); got != 1 {
		t.Errorf("Naive2 itself: OWA %g, want 1", got)
	}
	if got := OWA(10, 3, naive2); got != 1 {
		t.Errorf("OWA(10, 3) = %g, want 0.5·(0.5 + 1.5) = 1", got)
	}
	if got := OWA(5, 1, naive2); got != 0.375 {
		t.Errorf("OWA(5, 1) = %g, want 0.375", got)
	}
}
