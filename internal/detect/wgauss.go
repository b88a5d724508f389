package detect

import (
	"math"
	"strconv"
)

// Parameters of NAB's Windowed Gaussian detector.
const (
	wgWindow = 6400
	wgStep   = 100
)

// WindowedGaussian is the Windowed Gaussian baseline detector of the Numenta
// Anomaly Benchmark (nab/detectors/gaussian), reproduced exactly so that the
// benchmark's scorer can be checked against NAB's published results.
//
// The detector keeps the last 6400 values. Until the window is full it
// recomputes the mean and the population standard deviation after every
// value; afterwards it slides the window by 100 values at a time. The score of
// a value x is 1 - Q(|x-mean|/std), Q being the upper tail of the standard
// normal distribution, so every value scores at least one half and values far
// from the mean on either side score near 1. This is what produced NAB's
// stored results and its published scores (39.65 standard, 20.87
// reward-low-FP, 47.41 reward-low-FN on the 58-file corpus). A zero
// deviation is replaced by 1e-6; the first value scores 0. Scores are rounded
// to 12 significant digits, as NAB's stored results are, because the
// threshold sweep depends on which scores tie at 1.
//
// Its state is about 50 KiB, it ignores timestamps, and it is meant for the
// benchmark only.
type WindowedGaussian struct {
	window []float64 // the values the mean and deviation describe
	step   int       // values received since the window last moved
	sq     []float64 // scratch space for the squared deviations
	mean   float64
	std    float64
}

// NewWindowedGaussian returns an empty Windowed Gaussian detector.
func NewWindowedGaussian() *WindowedGaussian {
	return &WindowedGaussian{
		window: make([]float64, 0, wgWindow+wgStep),
		sq:     make([]float64, 0, wgWindow+wgStep),
		std:    1,
	}
}

// Observe scores s.V and then learns it. Timestamps are not used. A value
// that is not finite scores 0 and is not learned, where NAB's detector would
// poison its window.
func (d *WindowedGaussian) Observe(s Sample) Result {
	x := s.V
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Result{Expected: d.expected()}
	}
	score := 0.0
	full := len(d.window) >= wgWindow
	if len(d.window) > 0 {
		// NAB reflects a value below the mean about the mean and takes the
		// upper tail of the reflection; the extra rounding of 2·mean-x is
		// part of the reference numbers.
		xp := x
		if x < d.mean {
			xp = 2*d.mean - x
		}
		z := (xp - d.mean) / d.std
		score = round12(1 - 0.5*math.Erfc(z/math.Sqrt2))
	}
	res := Result{Score: score, Probability: score, Expected: d.expected()}
	if !full {
		d.window = append(d.window, x)
		d.update()
		return res
	}
	// The window is full: collect values behind it and slide it forward by a
	// whole step at once.
	d.window = append(d.window, x)
	d.step++
	if d.step == wgStep {
		d.window = append(d.window[:0], d.window[wgStep:]...)
		d.step = 0
		d.update()
	}
	return res
}

// expected is the mean plus or minus three standard deviations, or the whole
// line before any value was seen.
func (d *WindowedGaussian) expected() Range {
	if len(d.window) == 0 {
		return Range{Low: math.Inf(-1), High: math.Inf(1)}
	}
	return Range{Low: d.mean - 3*d.std, High: d.mean + 3*d.std}
}

// update recomputes the mean and the population standard deviation of the
// window the way numpy.mean and numpy.std do.
func (d *WindowedGaussian) update() {
	w := d.window[:len(d.window)-d.step]
	n := float64(len(w))
	d.mean = pairwiseSum(w) / n
	d.sq = d.sq[:0]
	for _, v := range w {
		dev := v - d.mean
		d.sq = append(d.sq, dev*dev)
	}
	d.std = math.Sqrt(pairwiseSum(d.sq) / n)
	if d.std == 0 {
		d.std = 1e-6
	}
}

// round12 rounds x to 12 significant digits, correctly rounded like
// Python's "%.12g".
func round12(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return r
}
