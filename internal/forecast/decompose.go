package forecast

import "math"

// SeasonalityTest reports whether y is seasonal with the given period by the
// 90% autocorrelation test of the M4 competition's benchmark code: seasonal
// when |r(p)| > 1.645·sqrt((1 + 2·Σ_{k=1}^{p-1} r(k)²)/n), where r is the
// sample autocorrelation function. It needs at least three periods of data
// and says false otherwise, and for a constant series.
func SeasonalityTest(y []float64, period int) bool {
	n := len(y)
	if period < 2 || n < 3*period {
		return false
	}
	m := mean(y)
	var den float64
	for _, v := range y {
		den += (v - m) * (v - m)
	}
	if !(den > 0) {
		return false
	}
	acf := func(k int) float64 {
		var s float64
		for t := 0; t+k < n; t++ {
			s += (y[t] - m) * (y[t+k] - m)
		}
		return s / den
	}
	sum := 1.0
	for k := 1; k < period; k++ {
		r := acf(k)
		sum += 2 * r * r
	}
	limit := 1.645 * math.Sqrt(sum/float64(n))
	return math.Abs(acf(period)) > limit
}

// ClassicalDecompose returns the seasonal indices of y by classical
// decomposition, as R's decompose does it: a centred moving average over one
// period (over period+1 values with half weights at the ends when the period
// is even) estimates the trend, the ratios (multiplicative) or differences
// (additive) of y to it are averaged per phase, and the averages are
// normalised to mean 1 (multiplicative) or 0 (additive). Index i belongs to
// the times t with t mod period = i, t counted from the first value of y. It
// needs two full periods; with fewer, or with a non-positive trend value in
// the multiplicative case, it returns nil.
func ClassicalDecompose(y []float64, period int, multiplicative bool) []float64 {
	n := len(y)
	if period < 2 || n < 2*period {
		return nil
	}
	half := period / 2
	sums := make([]float64, period)
	counts := make([]int, period)
	for t := half; t+half < n; t++ {
		var trend float64
		if period%2 == 0 {
			// The filter is (½, 1, …, 1, ½)/period over 2·half+1 values.
			trend = 0.5 * (y[t-half] + y[t+half])
			for j := t - half + 1; j < t+half; j++ {
				trend += y[j]
			}
		} else {
			for j := t - half; j <= t+half; j++ {
				trend += y[j]
			}
		}
		trend /= float64(period)
		var v float64
		if multiplicative {
			if !(trend > 0) {
				return nil
			}
			v = y[t] / trend
		} else {
			v = y[t] - trend
		}
		sums[t%period] += v
		counts[t%period]++
	}
	idx := make([]float64, period)
	for i := range idx {
		idx[i] = sums[i] / float64(counts[i])
	}
	m := mean(idx)
	for i := range idx {
		if multiplicative {
			idx[i] /= m
		} else {
			idx[i] -= m
		}
	}
	return idx
}
