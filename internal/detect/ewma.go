package detect

// rate returns the weight of the n-th observation (counting from 1) in an
// exponentially weighted average with long-run rate r: 1/n while fewer than
// 1/r observations have been seen, so that early estimates are plain means
// rather than biased towards the initial value, and r afterwards.
func rate(r float64, n uint32) float64 {
	if n == 0 {
		return 1
	}
	return max(r, 1/float64(n))
}

// clamp limits x to [lo, hi].
func clamp(x, lo, hi float64) float64 {
	return min(max(x, lo), hi)
}
