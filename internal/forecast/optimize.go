package forecast

import "math"

// nelderMead minimises f over the box [lo, hi] with the Nelder–Mead simplex
// method (reflection 1, expansion 2, contraction ½, shrink ½), starting from
// x0 with an initial step of step[i] along each axis. Trial points are
// clamped into the box, which keeps smoothing parameters admissible without a
// transformation. It stops after maxEval evaluations or when the values at
// the simplex vertices agree to within a relative tolerance tol.
//
// It is written here rather than taken from gonum's optimize package because
// the models need bounds, which gonum's Nelder–Mead lacks, and because it
// runs thousands of times per benchmark, where a small allocation-free loop
// around the objective matters. It is deterministic.
func nelderMead(f func([]float64) float64, x0, step, lo, hi []float64, maxEval int, tol float64) ([]float64, float64) {
	d := len(x0)
	clamp := func(x []float64) {
		for i := range x {
			x[i] = min(max(x[i], lo[i]), hi[i])
		}
	}
	// The simplex is d+1 vertices stored contiguously, with their values.
	pts := make([]float64, (d+1)*d)
	vals := make([]float64, d+1)
	vertex := func(i int) []float64 { return pts[i*d : (i+1)*d] }
	copy(vertex(0), x0)
	clamp(vertex(0))
	for i := 1; i <= d; i++ {
		v := vertex(i)
		copy(v, vertex(0))
		v[i-1] += step[i-1]
		if v[i-1] > hi[i-1] {
			v[i-1] = vertex(0)[i-1] - step[i-1]
		}
		clamp(v)
	}
	evals := 0
	eval := func(x []float64) float64 {
		evals++
		v := f(x)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	for i := range vals {
		vals[i] = eval(vertex(i))
	}
	centroid := make([]float64, d)
	xr := make([]float64, d)
	xe := make([]float64, d)
	xc := make([]float64, d)
	tmp := make([]float64, d)
	for {
		// Order the vertices from best to worst by insertion sort, which is
		// stable and allocation-free for the few vertices there are.
		for i := 1; i <= d; i++ {
			for k := i; k > 0 && vals[k] < vals[k-1]; k-- {
				vals[k], vals[k-1] = vals[k-1], vals[k]
				copy(tmp, vertex(k))
				copy(vertex(k), vertex(k-1))
				copy(vertex(k-1), tmp)
			}
		}
		best, worst := vals[0], vals[d]
		if evals >= maxEval || math.Abs(worst-best) <= tol*(math.Abs(best)+1e-300) {
			break
		}
		for j := range centroid {
			centroid[j] = 0
		}
		for i := 0; i < d; i++ {
			for j, v := range vertex(i) {
				centroid[j] += v / float64(d)
			}
		}
		w := vertex(d)
		for j := range xr {
			xr[j] = centroid[j] + (centroid[j] - w[j])
		}
		clamp(xr)
		fr := eval(xr)
		switch {
		case fr < best:
			for j := range xe {
				xe[j] = centroid[j] + 2*(centroid[j]-w[j])
			}
			clamp(xe)
			if fe := eval(xe); fe < fr {
				copy(w, xe)
				vals[d] = fe
			} else {
				copy(w, xr)
				vals[d] = fr
			}
		case fr < vals[d-1]:
			copy(w, xr)
			vals[d] = fr
		default:
			// Contract towards the better of the worst and its reflection.
			if fr < worst {
				for j := range xc {
					xc[j] = centroid[j] + 0.5*(xr[j]-centroid[j])
				}
			} else {
				for j := range xc {
					xc[j] = centroid[j] + 0.5*(w[j]-centroid[j])
				}
			}
			if fc := eval(xc); fc < min(fr, worst) {
				copy(w, xc)
				vals[d] = fc
				continue
			}
			// Shrink every vertex towards the best.
			b := vertex(0)
			for i := 1; i <= d; i++ {
				v := vertex(i)
				for j := range v {
					v[j] = b[j] + 0.5*(v[j]-b[j])
				}
				vals[i] = eval(v)
			}
		}
	}
	return append([]float64(nil), vertex(0)...), vals[0]
}

// goldenSection minimises a unimodal f over [a, b] to within tol and returns
// the minimiser. A coarse grid first picks the bracket, so that a function
// with a few shallow local minima still lands near the best one.
func goldenSection(f func(float64) float64, a, b, tol float64) float64 {
	const grid = 10
	bestI, bestV := 0, math.Inf(1)
	for i := 0; i <= grid; i++ {
		x := a + (b-a)*float64(i)/grid
		if v := f(x); v < bestV {
			bestI, bestV = i, v
		}
	}
	lo := a + (b-a)*float64(max(bestI-1, 0))/grid
	hi := a + (b-a)*float64(min(bestI+1, grid))/grid
	const invPhi = 0.6180339887498949
	x1 := hi - invPhi*(hi-lo)
	x2 := lo + invPhi*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for hi-lo > tol {
		if f1 <= f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - invPhi*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + invPhi*(hi-lo)
			f2 = f(x2)
		}
	}
	if f1 <= f2 {
		return x1
	}
	return x2
}
