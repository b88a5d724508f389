package m4

import "math"

// SMAPE is the M4 symmetric mean absolute percentage error of a forecast, in
// percent: the mean over points of 200·|y − f| / (|y| + |f|). A point where
// both are zero counts as no error.
func SMAPE(actual, forecast []float64) float64 {
	var s float64
	for i, y := range actual {
		f := forecast[i]
		if d := math.Abs(y) + math.Abs(f); d > 0 {
			s += 200 * math.Abs(y-f) / d
		}
	}
	return s / float64(len(actual))
}

// MASEScale is the denominator of MASE: the mean absolute seasonal difference
// of the training series, mean over t = m+1..n of |x_t − x_{t−m}|. It is NaN
// when the series holds no more than m values.
func MASEScale(train []float64, m int) float64 {
	if len(train) <= m {
		return math.NaN()
	}
	var s float64
	for t := m; t < len(train); t++ {
		s += math.Abs(train[t] - train[t-m])
	}
	return s / float64(len(train)-m)
}

// MASE is the M4 mean absolute scaled error of a forecast: the mean absolute
// error divided by [MASEScale] of the training series. A zero scale (a
// training series that repeats itself exactly) gives +Inf, or NaN for a
// perfect forecast.
func MASE(train, actual, forecast []float64, m int) float64 {
	var s float64
	for i, y := range actual {
		s += math.Abs(y - forecast[i])
	}
	return s / float64(len(actual)) / MASEScale(train, m)
}

// Score is a method's accuracy over a set of series: the means of the
// per-series sMAPE and MASE, and the OWA computed from those means.
type Score struct {
	// SMAPE is the mean sMAPE, in percent.
	SMAPE float64 `json:"smape"`
	// MASE is the mean MASE.
	MASE float64 `json:"mase"`
	// OWA is relative to Naive2 on the same series: 1 is Naive2's.
	OWA float64 `json:"owa"`
}

// OWA is the overall weighted average of the M4 competition: the mean of the
// sMAPE and MASE of a method relative to those of Naive2 on the same series,
// 0.5·(sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2).
func OWA(smape, mase float64, naive2 Score) float64 {
	return 0.5 * (smape/naive2.SMAPE + mase/naive2.MASE)
}
