package detect

import "testing"

func TestPairwiseSum(t *testing.T) {
	// Small integers are summed exactly in any order.
	for _, n := range []int{0, 1, 7, 8, 9, 127, 128, 129, 1000, 6400} {
		a := make([]float64, n)
		want := 0.0
		for i := range a {
			a[i] = float64(i%17 - 8)
			want += a[i]
		}
		if got := pairwiseSum(a); got != want {
			t.Errorf("n=%d: got %v, want %v", n, got, want)
		}
	}
	// The order of the additions shows where rounding happens: below eight
	// elements the sum runs left to right, so 1e16+1+1 loses both ones; from
	// eight on, eight accumulators add the ones to each other first.
	seq := []float64{1e16, 1, 1}
	if got := pairwiseSum(seq); got != 1e16 {
		t.Errorf("sequential sum = %v, want 1e16", got)
	}
	blocked := []float64{1e16, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1}
	// r[0] = 1e16+0; r[1..7] = 2 each; ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)).
	if got, want := pairwiseSum(blocked), ((1e16+2.0)+(2.0+2.0))+((2.0+2.0)+(2.0+2.0)); got != want {
		t.Errorf("blocked sum = %v, want %v", got, want)
	}
}
