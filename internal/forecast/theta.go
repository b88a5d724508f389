package forecast

import "fmt"

// Theta is the standard Theta method (Assimakopoulos and Nikolopoulos, 2000)
// as the M4 competition's benchmark code (Theta.classic) implements it, which
// Hyndman and Billah (2003) showed to be simple exponential smoothing with
// drift: the series is deseasonalised when the seasonality test says so, a
// straight line is fitted to it (the theta line with θ = 0), simple
// exponential smoothing forecasts the theta line with θ = 2 (twice the series
// minus the line), and the forecast is the mean of the two lines'
// extrapolations, reseasonalised.
//
// Of the candidate periods, the first that passes [SeasonalityTest] is
// removed by classical decomposition, multiplicative for a positive series
// and additive otherwise. Unlike R's ses, which the M4 code calls, the
// smoothing starts from the first value rather than an estimated level, which
// makes no difference beyond the first few values.
type Theta struct {
	// Periods lists the candidate season lengths in samples, in order of
	// preference; without any, the series is not deseasonalised.
	Periods []int
}

// Name returns "theta".
func (Theta) Name() string { return "theta" }

// Forecast returns h values; y needs at least three values.
func (m Theta) Forecast(y []float64, h int) ([]float64, error) {
	if err := checkInput(y, h, 3); err != nil {
		return nil, fmt.Errorf("theta: %w", err)
	}
	adj, reseason := deseasonalise(y, m.Periods)
	f := thetaClassic(adj, h)
	reseason(f)
	if err := checkOutput("theta", f); err != nil {
		return nil, err
	}
	return f, nil
}

// deseasonalise removes the season of the first candidate period that passes
// the seasonality test by classical decomposition, and returns the adjusted
// series and a function that puts the season back into values that follow y.
// Without a seasonal period it returns y unchanged.
func deseasonalise(y []float64, periods []int) ([]float64, func([]float64)) {
	positive := allPositive(y)
	for _, p := range periods {
		if !SeasonalityTest(y, p) {
			continue
		}
		idx := ClassicalDecompose(y, p, positive)
		if idx == nil {
			continue
		}
		adj := make([]float64, len(y))
		for t, v := range y {
			if positive {
				adj[t] = v / idx[t%p]
			} else {
				adj[t] = v - idx[t%p]
			}
		}
		n := len(y)
		return adj, func(f []float64) {
			for j := range f {
				if positive {
					f[j] *= idx[(n+j)%p]
				} else {
					f[j] += idx[(n+j)%p]
				}
			}
		}
	}
	return y, func([]float64) {}
}

// thetaClassic forecasts h values of a non-seasonal series by the classical
// Theta method with θ = 0 and θ = 2 weighted equally.
func thetaClassic(y []float64, h int) []float64 {
	n := len(y)
	a, b := linearFit(y)
	line2 := make([]float64, n)
	for t, v := range y {
		line2[t] = 2*v - (a + b*float64(t))
	}
	level := sesLevel(line2)
	f := make([]float64, h)
	for j := range f {
		f[j] = 0.5*(a+b*float64(n+j)) + 0.5*level
	}
	return f
}

// sesLevel fits simple exponential smoothing to y, with the smoothing
// parameter chosen by minimising the squared one-step errors and the first
// value as the initial level, and returns the final level.
func sesLevel(y []float64) float64 {
	run := func(alpha float64) (sse, level float64) {
		level = y[0]
		for _, v := range y[1:] {
			e := v - level
			sse += e * e
			level += alpha * e
		}
		return sse, level
	}
	alpha := goldenSection(func(a float64) float64 {
		sse, _ := run(a)
		return sse
	}, paramLo, paramHi, 1e-5)
	_, level := run(alpha)
	return level
}
