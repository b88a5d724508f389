package detect

import "math"

// recordTolerance is the margin beyond the learned range, as a fraction of
// the range, that a value must exceed to count as a record. It is the
// spatial tolerance of Numenta's detector for the NAB benchmark, from which
// the idea of flagging values outside every value seen so far comes.
const recordTolerance = 0.05

// record keeps the range of the values a series has taken and flags values
// outside it. If the values were exchangeable, the chance that the n-th is
// a new maximum (or minimum) would be 1/n, so a value beyond the range
// (and a tolerance) gets the tail probability 1/n, n being the number of
// samples the range remembers. The range decays towards the series' level
// with a long half-life, so that a maximum from long ago stops masking new
// highs, and the memory n is capped accordingly.
type record struct {
	hi, lo float64
}

// logP returns the log tail probability of x after n samples, the range
// remembering at most exp(lnMemory): -ln n for a value beyond the range and
// 0 otherwise.
func (r *record) logP(x float64, n uint32, lnMemory float64) float64 {
	tol := recordTolerance * (r.hi - r.lo)
	if tol > 0 && (x > r.hi+tol || x < r.lo-tol) {
		return -min(math.Log(float64(n)), lnMemory)
	}
	return 0
}

// learn decays the range towards level by the factor decay and widens it
// to include x.
func (r *record) learn(x, level, decay float64) {
	r.hi = max(x, level+(r.hi-level)*decay)
	r.lo = min(x, level+(r.lo-level)*decay)
}
