package forecast

import "fmt"

// repaired is a series made fit for the models: gaps filled, leading and
// trailing non-finite values dropped.
type repaired struct {
	// y is the repaired series.
	y []float64
	// skip is the number of trailing values that were dropped: the forecast
	// starts that many steps earlier than the caller asked.
	skip int
	// notes say what was done, for the caller.
	notes []string
}

// repair fills the gaps of y (NaN or infinite values) by linear interpolation
// between the finite neighbours, drops non-finite values before the first
// finite one and counts those after the last one. It returns ErrNoData when
// no value is finite.
func repair(y []float64) (repaired, error) {
	first, last := -1, -1
	for i, v := range y {
		if isFinite(v) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return repaired{}, ErrNoData
	}
	r := repaired{skip: len(y) - 1 - last}
	x := y[first : last+1]
	gaps := 0
	for _, v := range x {
		if !isFinite(v) {
			gaps++
		}
	}
	if gaps > 0 {
		x = append([]float64(nil), x...)
		prev := 0
		for i := 1; i < len(x); i++ {
			if !isFinite(x[i]) {
				continue
			}
			if i-prev > 1 {
				d := (x[i] - x[prev]) / float64(i-prev)
				for j := prev + 1; j < i; j++ {
					x[j] = x[prev] + d*float64(j-prev)
				}
			}
			prev = i
		}
		r.notes = append(r.notes, fmt.Sprintf("filled %d missing values by linear interpolation", gaps))
	}
	if first > 0 {
		r.notes = append(r.notes, fmt.Sprintf("dropped %d missing values at the start", first))
	}
	if r.skip > 0 {
		r.notes = append(r.notes, fmt.Sprintf("the last %d values are missing: forecast from the last known value", r.skip))
	}
	r.y = x
	return r, nil
}

// isConstant reports whether every value of y equals the first, to within a
// relative 1e-12.
func isConstant(y []float64) bool {
	if len(y) == 0 {
		return true
	}
	lo, hi := y[0], y[0]
	for _, v := range y {
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi-lo <= 1e-12*max(1, max(hi, -lo))
}
