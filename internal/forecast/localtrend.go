package forecast

import (
	"fmt"
	"math"
)

// LocalTrend forecasts the local trend of a seasonal series: it takes out the
// additive seasonal profile of Period (classical decomposition), fits a
// straight line to the last Window values of what remains, and carries the
// line forward with the profile put back. It is the model for questions
// of the kind "when does this resource run out": a disk that fills a
// little every day under a deep daily sawtooth has a trend of a little per
// day, which a line through the sawtooth's falling edge, such as PromQL's
// predict_linear, overstates by orders of magnitude, and which smoothing
// models that damp or average their trend with a flat forecast understate.
//
// With Period < 2, or fewer than two periods of data, there is no profile;
// with fewer than Window values, the line is fitted to all of them.
type LocalTrend struct {
	Period int
	Window int
}

// Name returns "local-trend".
func (LocalTrend) Name() string { return "local-trend" }

// Forecast implements Model.
func (m LocalTrend) Forecast(y []float64, h int) ([]float64, error) {
	mean, _, _, err := m.Predict(y, h, DefaultLevel)
	return mean, err
}

// Predict returns the forecast and a prediction interval of coverage level
// around it, from the spread of the values about the fitted line and the
// uncertainty of the line itself. Gaps (NaN, ±Inf) are filled by linear
// interpolation; fewer than three finite values are an error.
func (m LocalTrend) Predict(y []float64, h int, level float64) (mean, lower, upper []float64, err error) {
	if h <= 0 {
		return nil, nil, nil, fmt.Errorf("trend: %w", ErrHorizon)
	}
	if !(level > 0 && level < 1) {
		return nil, nil, nil, fmt.Errorf("trend: level %g must be in (0, 1)", level)
	}
	r, err := repair(y)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("trend: %w", err)
	}
	x := r.y
	n := len(x)
	if n < 3 {
		return nil, nil, nil, fmt.Errorf("trend: %w: %d values, need 3", ErrTooShort, n)
	}
	season := ClassicalDecompose(x, m.Period, false)
	phase := func(t int) float64 {
		if season == nil {
			return 0
		}
		return season[t%m.Period]
	}
	w := n
	if m.Window >= 3 && m.Window < n {
		w = m.Window
	}
	// Least squares on the last w deseasonalised values, t = n-w … n-1.
	var st, sd float64
	for t := n - w; t < n; t++ {
		st += float64(t)
		sd += x[t] - phase(t)
	}
	tm, dm := st/float64(w), sd/float64(w)
	var sxx, sxy float64
	for t := n - w; t < n; t++ {
		dt := float64(t) - tm
		sxx += dt * dt
		sxy += dt * (x[t] - phase(t) - dm)
	}
	slope := sxy / sxx
	var sse float64
	for t := n - w; t < n; t++ {
		e := x[t] - phase(t) - (dm + slope*(float64(t)-tm))
		sse += e * e
	}
	sigma := math.Sqrt(sse / float64(max(w-2, 1)))
	z := normalQuantile(0.5 + level/2)
	// The forecast starts after the last value the caller gave, which is
	// skip steps after the last finite one.
	mean, lower, upper = make([]float64, h), make([]float64, h), make([]float64, h)
	for i := range h {
		t := n + r.skip + i
		dt := float64(t) - tm
		mean[i] = dm + slope*dt + phase(t)
		half := z * sigma * math.Sqrt(1+1/float64(w)+dt*dt/sxx)
		lower[i], upper[i] = mean[i]-half, mean[i]+half
	}
	if err := checkOutput("trend", mean); err != nil {
		return nil, nil, nil, err
	}
	return mean, lower, upper, nil
}

// normalQuantile returns the standard normal quantile of p in (0, 1).
func normalQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}
