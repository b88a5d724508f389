package detect

// pairwiseSum returns the sum of a exactly as NumPy's add.reduce computes it
// for a contiguous float64 array: blocks of at most 128 elements are summed
// with eight interleaved accumulators, larger arrays are split in two at a
// multiple of eight and summed recursively. Reproducing the order of the
// additions reproduces NumPy's rounding, which the NAB conformance of
// WindowedGaussian depends on.
func pairwiseSum(a []float64) float64 {
	const blockSize = 128
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= blockSize:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}
