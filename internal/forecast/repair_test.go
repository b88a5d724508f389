package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestRepair(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	f := func(y, want []float64, skip, notes int) {
		t.Helper()
		r, err := repair(y)
		if err != nil {
			t.Fatalf("%v: %v", y, err)
		}
		if !slices.Equal(r.y, want) || r.skip != skip || len(r.notes) != notes {
			t.Fatalf("%v: got %v skip %d notes %q, want %v skip %d and %d notes", y, r.y, r.skip, r.notes, want, skip, notes)
		}
	}
	f([]float64{1, 2, 3}, []float64{1, 2, 3}, 0, 0)
	f([]float64{1, nan, nan, 4}, []float64{1, 2, 3, 4}, 0, 1)
	f([]float64{nan, 1, inf, 3, nan}, []float64{1, 2, 3}, 1, 3)
	f([]float64{-inf, 5}, []float64{5}, 0, 1)
}

func TestRepairLeavesInputAlone(t *testing.T) {
	y := []float64{1, math.NaN(), 3}
	if _, err := repair(y); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(y[1]) {
		t.Fatal("repair modified its input")
	}
}

func TestRepairNoData(t *testing.T) {
	for _, y := range [][]float64{nil, {}, {math.NaN(), math.Inf(-1)}} {
		if _, err := repair(y); !errors.Is(err, ErrNoData) {
			t.Errorf("%v: err = %v, want ErrNoData", y, err)
		}
	}
}

func TestIsConstant(t *testing.T) {
	f := func(y []float64, want bool) {
		t.Helper()
		if got := isConstant(y); got != want {
			t.Errorf("%v: constant = %v, want %v", y, got, want)
		}
	}
	f([]float64{3, 3, 3}, true)
	f([]float64{1e9, 1e9 + 1e-5}, true)
	f([]float64{0, 0}, true)
	f([]float64{0, 1e-9}, false)
	f([]float64{3, 3, 3.0001}, false)
}
