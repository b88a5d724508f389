package detect

import "math"

// Shape limits of the generalised Pareto tail: 0 is the exponential tail,
// 0.5 a tail so heavy that its variance is barely finite.
const (
	gpdMinShape = 0
	gpdMaxShape = 0.5
)

// valueTail is a streaming peaks-over-threshold model of the upper tail of
// a series' values, as in SPOT (Siffer et al., KDD 2017): the threshold u
// tracks the 95th percentile of the values by stochastic approximation, and
// the excesses above it follow a generalised Pareto distribution whose
// shape ξ and scale σ come from the mean m and the second moment of the
// excesses (method of moments: ξ = ½(1 - m²/v), σ = ½m(1 + m²/v), v being
// their variance), so a value x above u has the tail probability
// 0.05·(1 + ξ(x-u)/σ)^(-1/ξ). The lower tail is the same model on -x.
type valueTail struct {
	u    float64
	mean float64 // mean excess over u
	sq   float64 // mean squared excess over u
	k    uint32  // exceedances learned, the prior included
}

// init starts the model at a threshold and a mean excess estimated from the
// warm-up, with an exponential tail, weighing them as much as tailPriorK
// exceedances.
func (t *valueTail) init(u, excess float64) {
	t.u, t.mean, t.sq, t.k = u, excess, 2*excess*excess, tailPriorK
}

// gpd returns the shape and the scale of the excesses, the scale at least
// floor.
func (t *valueTail) gpd(floor float64) (xi, sigma float64) {
	m := max(t.mean, floor)
	v := t.sq - t.mean*t.mean
	if v <= 0 {
		return 0, m
	}
	r := m * m / v
	xi = clamp(0.5*(1-r), gpdMinShape, gpdMaxShape)
	// Keep the mean of the fitted distribution, σ/(1-ξ), equal to m.
	return xi, m * (1 - xi)
}

// logP returns ln P(X ≥ x); below u it is 0 (not in the tail).
func (t *valueTail) logP(x, floor float64) float64 {
	if !(x > t.u) {
		return 0
	}
	xi, sigma := t.gpd(floor)
	y := (x - t.u) / sigma
	if xi < 1e-6 {
		return lnTailQ - y
	}
	return lnTailQ - math.Log1p(xi*y)/xi
}

// learn folds x into the model: the threshold moves by step times the mean
// excess, the excess moments learn with long-run rate rk per exceedance.
func (t *valueTail) learn(x, step, rk, floor float64) {
	ex := max(t.mean, floor)
	if x > t.u {
		t.k++
		e := min(x-t.u, tailMaxExc*ex)
		w := rate(rk, t.k)
		t.mean += w * (e - t.mean)
		t.sq += w * (e*e - t.sq)
		t.u += step * ex * (1 - tailQ)
	} else {
		t.u -= step * ex * tailQ
	}
}
