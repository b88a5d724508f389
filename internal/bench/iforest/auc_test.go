package iforest

import (
	"math"
	"testing"
)

func TestAUC(t *testing.T) {
	f := func(scores []float64, labels []bool, want float64) {
		t.Helper()
		got, err := AUC(scores, labels)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-15 {
			t.Errorf("AUC(%v, %v) = %g, want %g", scores, labels, got, want)
		}
	}
	T, F := true, false
	f([]float64{0.9, 0.8, 0.1, 0.2}, []bool{T, T, F, F}, 1)
	f([]float64{0.1, 0.2, 0.9, 0.8}, []bool{T, T, F, F}, 0)
	// By hand: anomalies 0.8 and 0.4, normal rows 0.1, 0.5, 0.7. Of the six
	// pairs, 0.8 beats all three and 0.4 beats 0.1 only: 4/6.
	f([]float64{0.1, 0.8, 0.5, 0.4, 0.7}, []bool{F, T, F, T, F}, 4.0/6)
	// Ties count one half: anomaly 0.5 against normal 0.5 and 0.2 is
	// 0.5 + 1 out of 2.
	f([]float64{0.5, 0.5, 0.2}, []bool{T, F, F}, 0.75)
	f([]float64{3, 3, 3, 3}, []bool{T, F, T, F}, 0.5)

	for _, tc := range []struct {
		scores []float64
		labels []bool
	}{
		{[]float64{1, 2}, []bool{T}},
		{[]float64{1, 2}, []bool{T, T}},
		{[]float64{1, math.NaN()}, []bool{T, F}},
	} {
		if _, err := AUC(tc.scores, tc.labels); err == nil {
			t.Errorf("AUC(%v, %v): no error", tc.scores, tc.labels)
		}
	}
}
