package detect

import "math"

// Parameters of the CUSUM: the reference value k and the clip applied to
// each standardised error, in standard deviations, so that a single outlier
// moves a statistic by at most cusumClip-k.
const (
	cusumK    = 0.5
	cusumClip = 4.0
)

// cusum is a two-sided CUSUM change-point detector: S⁺ = max(0, S⁺+z-k) and
// S⁻ = max(0, S⁻-z-k) on errors z that are first clipped and then
// standardised by their own long-run mean and standard deviation, so that z
// has mean 0 and variance 1 whatever the distribution of the raw errors. For
// such z and k = ½ the stationary tail of each statistic is close to
// P(S ≥ s) = e^(-2ks) = e^(-s), which is how the statistic is turned into a
// probability.
type cusum struct {
	mean, sq float64 // long-run mean and mean square of the clipped errors
	n        uint32
	pos, neg float64 // the statistics
	run      uint32  // samples since both statistics were last 0
}

// update adds the error z (in robust standard deviations), learning its
// mean and variance with rate r, and returns the larger statistic.
func (c *cusum) update(z, r float64) float64 {
	zc := clamp(z, -cusumClip, cusumClip)
	sd := 1.0
	m := 0.0
	if c.n > 0 {
		m = c.mean
		sd = math.Sqrt(max(c.sq-c.mean*c.mean, 0.01))
	}
	zs := clamp((zc-m)/sd, -cusumClip, cusumClip)
	c.n++
	w := rate(r, c.n)
	c.mean += w * (zc - c.mean)
	c.sq += w * (zc*zc - c.sq)

	c.pos = max(0, c.pos+zs-cusumK)
	c.neg = max(0, c.neg-zs-cusumK)
	if c.pos == 0 && c.neg == 0 {
		c.run = 0
	} else {
		c.run++
	}
	return max(c.pos, c.neg)
}

// stat returns the larger statistic.
func (c *cusum) stat() float64 { return max(c.pos, c.neg) }

// logP returns ln P(S ≥ s) for the larger statistic s under no change,
// doubled for the two sides.
func (c *cusum) logP() float64 {
	return min(0, math.Ln2-2*cusumK*c.stat())
}

// restart sets both statistics to 0, after a change has been accepted.
func (c *cusum) restart() {
	c.pos, c.neg, c.run = 0, 0, 0
}
