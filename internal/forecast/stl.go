package forecast

import "math"

// stl is the configuration and work space of an STL decomposition
// (Cleveland et al., 1990), as the original Fortran and R's stl compute it,
// without the robustness iterations. The names follow the paper.
type stl struct {
	// np is the period; ns, nt and nl are the odd window lengths of the
	// seasonal, trend and low-pass smoothers.
	np, ns, nt, nl int
	// sdeg, tdeg and ldeg are the smoothers' local polynomial degrees, 0 or
	// 1.
	sdeg, tdeg, ldeg int
	// sjump, tjump and ljump are the smoothers' jumps: a smoother is
	// evaluated at every jump-th point and interpolated linearly in between.
	sjump, tjump, ljump int
	// inner is the number of passes of the inner loop.
	inner int
	// The work space, reused from one call of decompose to the next.
	season, trend, detrended, cycle, lowpass, ma1, ma2, sub, subFit []float64
}

// newSTL returns the configuration R's stl chooses for a period and a
// seasonal window when only those are given: trend window
// nextodd(1.5·np/(1 − 1.5/ns)), low-pass window nextodd(np), seasonal degree
// 0, trend and low-pass degree 1, jumps of a tenth of each window, and two
// inner passes.
func newSTL(np, ns int) *stl {
	ns = nextOdd(max(ns, 3))
	np = max(np, 2)
	nt := nextOdd(int(math.Ceil(1.5 * float64(np) / (1 - 1.5/float64(ns)))))
	nl := nextOdd(np)
	return &stl{
		np: np, ns: ns, nt: nt, nl: nl,
		sdeg: 0, tdeg: 1, ldeg: 1,
		sjump: ceilDiv(ns, 10), tjump: ceilDiv(nt, 10), ljump: ceilDiv(nl, 10),
		inner: 2,
	}
}

// nextOdd returns k if it is odd and k+1 otherwise.
func nextOdd(k int) int {
	if k%2 == 0 {
		return k + 1
	}
	return k
}

// ceilDiv returns ⌈a/b⌉ for positive a and b.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// decompose splits y into season and trend; the remainder is what is left.
// The returned slices belong to p and are overwritten by the next call. y
// must hold more than two periods.
func (p *stl) decompose(y []float64) (season, trend []float64) {
	n, np := len(y), p.np
	if cap(p.trend) < n {
		p.season = make([]float64, n)
		p.trend = make([]float64, n)
		p.detrended = make([]float64, n)
		p.cycle = make([]float64, n+2*np)
		p.lowpass = make([]float64, n+2*np)
		p.ma1 = make([]float64, n+2*np)
		p.ma2 = make([]float64, n+2*np)
		p.sub = make([]float64, n/np+1)
		p.subFit = make([]float64, n/np+3)
	}
	season, trend = p.season[:n], p.trend[:n]
	clear(trend)
	w1, c := p.detrended[:n], p.cycle[:n+2*np]
	for range p.inner {
		for i := range w1 {
			w1[i] = y[i] - trend[i]
		}
		p.cycleSubseries(w1, c)
		lp := p.lowPass(c)
		loess(lp, p.nl, p.ldeg, p.ljump, w1)
		for i := range season {
			season[i] = c[np+i] - w1[i]
		}
		for i := range w1 {
			w1[i] = y[i] - season[i]
		}
		loess(w1, p.nt, p.tdeg, p.tjump, trend)
	}
	return season, trend
}

// cycleSubseries smooths each cycle-subseries of x (the values of one phase)
// and extends it by one value at each end, writing the result, of length
// len(x)+2·np, into c in time order.
func (p *stl) cycleSubseries(x, c []float64) {
	n, np := len(x), p.np
	for j := 0; j < np; j++ {
		k := (n-j-1)/np + 1
		sub := p.sub[:k]
		for i := range sub {
			sub[i] = x[i*np+j]
		}
		fit := p.subFit[:k+2]
		loess(sub, p.ns, p.sdeg, p.sjump, fit[1:k+1])
		if v, ok := loessAt(sub, p.ns, p.sdeg, -1, 0, min(p.ns, k)-1); ok {
			fit[0] = v
		} else {
			fit[0] = fit[1]
		}
		if v, ok := loessAt(sub, p.ns, p.sdeg, float64(k), max(0, k-p.ns), k-1); ok {
			fit[k+1] = v
		} else {
			fit[k+1] = fit[k]
		}
		for m, v := range fit {
			c[m*np+j] = v
		}
	}
}

// lowPass applies the STL low-pass filter (moving averages of length np, np
// and 3) to c, of length n+2·np, and returns the n filtered values.
func (p *stl) lowPass(c []float64) []float64 {
	a := movingAverage(c, p.np, p.ma1)
	b := movingAverage(a, p.np, p.ma2)
	return movingAverage(b, 3, p.lowpass)
}

// movingAverage writes the means of the len(x)-k+1 windows of length k of x
// into out and returns that part of out.
func movingAverage(x []float64, k int, out []float64) []float64 {
	m := len(x) - k + 1
	out = out[:m]
	var s float64
	for i := 0; i < k; i++ {
		s += x[i]
	}
	out[0] = s / float64(k)
	for i := 1; i < m; i++ {
		s += x[i+k-1] - x[i-1]
		out[i] = s / float64(k)
	}
	return out
}

// loess smooths y with a local polynomial of the given degree (0 or 1) over
// windows of q nearest points and tricube weights, evaluated at every jump-th
// point and interpolated linearly in between, as STL's stless does. It writes
// len(y) values into out.
func loess(y []float64, q, degree, jump int, out []float64) {
	n := len(y)
	if n < 2 {
		out[0] = y[0]
		return
	}
	jump = max(min(jump, n-1), 1)
	half := (q + 1) / 2
	var left, right int
	window := func(i int) {
		switch {
		case q >= n:
			left, right = 0, n-1
		case i < half-1:
			left, right = 0, q-1
		case i >= n-half:
			left, right = n-q, n-1
		default:
			left, right = i-half+1, i-half+q
		}
	}
	for i := 0; i < n; i += jump {
		window(i)
		if v, ok := loessAt(y, q, degree, float64(i), left, right); ok {
			out[i] = v
		} else {
			out[i] = y[i]
		}
	}
	if jump == 1 {
		return
	}
	for i := 0; i+jump < n; i += jump {
		d := (out[i+jump] - out[i]) / float64(jump)
		for j := i + 1; j < i+jump; j++ {
			out[j] = out[i] + d*float64(j-i)
		}
	}
	k := ((n - 1) / jump) * jump
	if k != n-1 {
		window(n - 1)
		if v, ok := loessAt(y, q, degree, float64(n-1), left, right); ok {
			out[n-1] = v
		} else {
			out[n-1] = y[n-1]
		}
		d := (out[n-1] - out[k]) / float64(n-1-k)
		for j := k + 1; j < n-1; j++ {
			out[j] = out[k] + d*float64(j-k)
		}
	}
}

// loessAt is STL's stlest: the local fit at position xs from the points
// left..right of y (inclusive), with tricube weights scaled to the larger
// distance to an end of the window (widened when the window q exceeds the
// series), and a local linear correction for degree 1. It reports false when
// every weight is zero.
//
// The Fortran makes five passes over the window; this makes one, keeping the
// weighted sums of 1, d, d², y and y·d with d = j − xs, from which the local
// linear fit follows in closed form:
//
//	a = Σw·d/Σw, c = Σw·d²/Σw − a², ŷ = (Σw·y − a/c·(Σw·y·d − a·Σw·y))/Σw.
func loessAt(y []float64, q, degree int, xs float64, left, right int) (float64, bool) {
	n := len(y)
	h := max(xs-float64(left), float64(right)-xs)
	if q > n {
		h += float64((q - n) / 2)
	}
	h9, h1 := 0.999*h, 0.001*h
	var sw, swd, swdd, swy, swyd float64
	for j := left; j <= right; j++ {
		d := float64(j) - xs
		r := math.Abs(d)
		if r > h9 {
			continue
		}
		w := 1.0
		if r > h1 {
			u := r / h
			u = 1 - u*u*u
			w = u * u * u
		}
		wy := w * y[j]
		sw += w
		swd += w * d
		swdd += w * d * d
		swy += wy
		swyd += wy * d
	}
	if sw <= 0 {
		return 0, false
	}
	if h > 0 && degree > 0 {
		a := swd / sw
		c := swdd/sw - a*a
		if math.Sqrt(max(c, 0)) > 0.001*float64(n-1) {
			return (swy - a/c*(swyd-a*swy)) / sw, true
		}
	}
	return swy / sw, true
}
