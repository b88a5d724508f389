package detect

import "math"

// Parameters of the error tail model, which works on the natural logarithm
// of an absolute standardised error. The threshold tracks the tailQ upper
// quantile; the priors are those of a standard normal error (95% of |z|
// below 1.96, mean log-excess 0.167 above it) and weigh as much as
// tailPriorK exceedances.
const (
	tailQ       = 0.05
	tailPriorU  = 0.6729444732424258 // ln 1.96
	tailPriorEx = 0.167
	tailPriorK  = 10
	tailStep    = 0.05               // quantile step, in units of the mean excess
	tailMaxExc  = 20.0               // excess learned from one sample, in units of the mean excess
	tailMinLog  = -30                // log-scores are clamped here, so that 0 stays finite
	lnTailQ     = -2.995732273553991 // ln tailQ
)

// logScore returns ln x, clamped below at tailMinLog; 0 and NaN map to
// tailMinLog.
func logScore(x float64) float64 {
	if !(x > 0) {
		return tailMinLog
	}
	return max(math.Log(x), tailMinLog)
}

// tail calibrates an absolute standardised error into the probability of
// an error at least as large, learned from the history of the errors. It is
// a peaks-over-threshold model with a Pareto tail: on y = ln|z| the
// threshold u tracks the 95th percentile (a stochastic-approximation
// quantile), excess is the mean of y-u above it, and P(|Z| ≥ |z|) =
// 0.05·exp(-(y-u)/excess) above the threshold. Working on the logarithm
// makes the model indifferent to the unit of the error: it corrects for
// errors that are heavier-tailed than normal and for error scales that are
// too small by orders of magnitude, as robust scales of quantised series
// are. For normal errors it is conservative: a 10σ error gets a tail
// probability of about 1e-7 rather than 1e-23.
//
// The model also keeps bound, the error whose tail probability is
// exp(target), which explains a verdict as a range of expected values; it
// is updated incrementally so that keeping it costs no logarithm or
// exponential on most samples.
type tail struct {
	u      float64
	excess float64
	k      uint32  // exceedances learned, the prior included
	target float64 // ln of the tail probability that bound corresponds to
	bound  float64 // exp(u + excess·(ln q - target))
	down   float64 // factor applied to bound when u steps down
}

func newTail(target float64) tail {
	t := tail{u: tailPriorU, excess: tailPriorEx, k: tailPriorK, target: target}
	t.rebound()
	return t
}

// rebound recomputes bound and down after the excess changed.
func (t *tail) rebound() {
	t.bound = math.Exp(t.u + t.excess*(lnTailQ-t.target))
	t.down = math.Exp(-tailStep * t.excess * tailQ)
}

// logP returns ln P(|Z| ≥ |z|) for y = logScore(|z|). Below the threshold,
// where nothing is unusual, it ramps linearly in y from 0 one e-fold below
// the threshold to ln 0.05 at it.
func (t *tail) logP(y float64) float64 {
	if y > t.u {
		return lnTailQ - (y-t.u)/t.excess
	}
	return lnTailQ * clamp(y-t.u+1, 0, 1)
}

// learn folds y = logScore(|z|) into the model; rk is the long-run learning
// rate of the mean excess per exceedance.
func (t *tail) learn(y, rk float64) {
	step := tailStep * t.excess
	if y > t.u {
		t.k++
		t.excess += rate(rk, t.k) * (min(y-t.u, tailMaxExc*t.excess) - t.excess)
		t.u += step * (1 - tailQ)
		t.rebound()
		return
	}
	if t.u-step*tailQ < tailMinLog {
		return
	}
	t.u -= step * tailQ
	t.bound *= t.down
}
