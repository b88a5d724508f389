package detect

import "math"

// recordTolerance is the margin beyond the learned range, as a fraction of
// the range, that a value must exceed to count as a record. It is the
// spatial tolerance of Numenta's detector for the NAB benchmark, from which
// the idea of flagging values outside every value seen so far comes.
const recordTolerance = 0.05

// record keeps the range of the values a series has taken and flags values
// outside it. If the values were exchangeable, the chance that the n-th is
// a new maximum (or minimum) would be 1/n; the chance that it also exceeds
// the maximum by a fraction r of the distance from the level to the
// maximum is smaller, about n^-(1+r) for exponential tails, where the
// maximum grows like ln n, and n^-(1+2r) for normal ones, where it grows
// like √(2 ln n). A value beyond the range (and a tolerance) gets the tail
// probability n^-(1+2r), n being the number of samples the range
// remembers: a value that barely breaks the record is about as rare as a
// record, one far beyond it much rarer. The range decays towards the
// series' level with a long half-life, so that a maximum from long ago
// stops masking new highs, and the memory n is capped accordingly.
type record struct {
	hi, lo float64
}

// logP returns the log tail probability of x after n samples, the range
// remembering at most exp(lnMemory) and level being the series' level:
// -(1+2r)·ln n for a value beyond the range by more than the tolerance, r
// being its distance beyond the range relative to the distance from the
// level to that end of the range, and 0 otherwise.
func (r *record) logP(x, level float64, n uint32, lnMemory float64) float64 {
	tol := recordTolerance * (r.hi - r.lo)
	var beyond float64
	switch {
	case !(tol > 0):
		return 0
	case x > r.hi+tol:
		beyond = (x - r.hi) / max(r.hi-level, tol)
	case x < r.lo-tol:
		beyond = (r.lo - x) / max(level-r.lo, tol)
	default:
		return 0
	}
	return -(1 + 2*beyond) * min(math.Log(float64(n)), lnMemory)
}

// learn decays the range towards level by the factor decay and widens it
// to include x.
func (r *record) learn(x, level, decay float64) {
	r.hi = max(x, level+(r.hi-level)*decay)
	r.lo = min(x, level+(r.lo-level)*decay)
}

// errorRecordLogP is the record detector applied to a baseline's errors,
// which are centred on 0: the log tail probability of the error e after n
// samples when the largest absolute error the baseline has made (decaying
// like the range) is top. An error beyond top by more than the tolerance
// is a record, r being its excess relative to top; others score 0.
func errorRecordLogP(e, top float64, n uint32, lnMemory float64) float64 {
	a := math.Abs(e)
	if !(top > 0) || a <= top*(1+recordTolerance) {
		return 0
	}
	r := (a - top) / top
	return -(1 + 2*r) * min(math.Log(float64(n)), lnMemory)
}
