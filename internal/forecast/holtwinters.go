package forecast

import (
	"fmt"
	"math"
)

// Trend is the trend component of an exponential smoothing model.
type Trend int

// The trend components.
const (
	// TrendNone has no trend: the forecast is flat apart from the season.
	TrendNone Trend = iota
	// TrendAdditive extrapolates the last slope linearly.
	TrendAdditive
	// TrendDamped extrapolates the last slope with a damping factor φ < 1, so
	// that the forecast flattens out.
	TrendDamped
)

// String returns the trend's letter in the ETS taxonomy: N, A or Ad.
func (t Trend) String() string {
	switch t {
	case TrendNone:
		return "N"
	case TrendAdditive:
		return "A"
	case TrendDamped:
		return "Ad"
	}
	return fmt.Sprintf("Trend(%d)", int(t))
}

// Season is the seasonal component of an exponential smoothing model.
type Season int

// The seasonal components.
const (
	// SeasonNone has no seasonal component.
	SeasonNone Season = iota
	// SeasonAdditive adds a seasonal offset of constant amplitude.
	SeasonAdditive
	// SeasonMultiplicative multiplies by a seasonal factor, so that the
	// amplitude follows the level; it needs positive values.
	SeasonMultiplicative
)

// String returns the season's letter in the ETS taxonomy: N, A or M.
func (s Season) String() string {
	switch s {
	case SeasonNone:
		return "N"
	case SeasonAdditive:
		return "A"
	case SeasonMultiplicative:
		return "M"
	}
	return fmt.Sprintf("Season(%d)", int(s))
}

// Bounds of the smoothing parameters and limits of their search. The
// parameters are searched as (α, β/α, γ/(1−α), φ) in a box, which keeps them
// in the usual admissible region 0 < β < α < 1, 0 < γ < 1 − α, with the
// damping φ in [0.8, 0.98].
const (
	paramLo, paramHi = 1e-4, 0.9999
	phiLo, phiHi     = 0.8, 0.98
	hwMaxEvalPerDim  = 150
	hwTolerance      = 1e-5
)

// HoltWinters is exponential smoothing with a fixed trend and seasonal
// component (Holt-Winters when both are present), with additive errors. The
// smoothing parameters α, β, γ and the damping φ are fitted by minimising the
// sum of squared one-step-ahead errors with a bounded Nelder–Mead search; the
// initial states come from a classical decomposition of the first (up to
// three) seasons.
type HoltWinters struct {
	// Trend is the trend component.
	Trend Trend
	// Season is the seasonal component.
	Season Season
	// Period is the season length in samples; it must be at least 2 when
	// Season is not SeasonNone, and is ignored otherwise.
	Period int
}

// Name returns a code in the style of the ETS taxonomy: "hw-" followed by the
// trend (N, A, Ad), the season (N, A, M) and the period, such as "hw-AA24"
// for the classic additive Holt-Winters with a daily period of hourly data.
func (m HoltWinters) Name() string {
	if m.Season == SeasonNone {
		return fmt.Sprintf("hw-%s%s", m.Trend, m.Season)
	}
	return fmt.Sprintf("hw-%s%s%d", m.Trend, m.Season, m.Period)
}

// Forecast fits the model to y and returns h values. A seasonal model needs
// two full seasons, a multiplicative one positive values.
func (m HoltWinters) Forecast(y []float64, h int) ([]float64, error) {
	if h <= 0 {
		return nil, fmt.Errorf("%s: %w: %d", m.Name(), ErrHorizon, h)
	}
	fit, err := fitHoltWinters(y, m.Trend, m.Season, m.Period)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	f := fit.forecast(h)
	if err := checkOutput(m.Name(), f); err != nil {
		return nil, err
	}
	return f, nil
}

// hwFit is a fitted exponential smoothing model: its parameters, its final
// states and its in-sample fit.
type hwFit struct {
	trend  Trend
	season Season
	period int
	alpha  float64
	beta   float64
	gamma  float64
	phi    float64
	level  float64
	slope  float64
	// seasonal[i] is the latest seasonal state of phase i.
	seasonal []float64
	// n is the number of values fitted.
	n int
	// sse is the sum of squared one-step errors.
	sse float64
	// parameters is the number of estimated values, for the AICc.
	parameters int
}

// aicc returns the corrected Akaike information criterion of the fit under
// Gaussian additive errors, or +Inf when there are too few values for the
// parameters. A perfect fit counts as the smallest positive mean square, so
// that it wins unless a simpler form fits perfectly too.
func (f *hwFit) aicc() float64 {
	n, k := float64(f.n), float64(f.parameters)
	if n-k-1 <= 0 {
		return math.Inf(1)
	}
	mse := max(f.sse/n, math.SmallestNonzeroFloat64)
	return n*math.Log(mse) + 2*k + 2*k*(k+1)/(n-k-1)
}

// forecast returns h values from the final states.
func (f *hwFit) forecast(h int) []float64 {
	out := make([]float64, h)
	var phiSum, phiPow float64 = 0, 1
	for j := 1; j <= h; j++ {
		switch f.trend {
		case TrendAdditive:
			phiSum = float64(j)
		case TrendDamped:
			phiPow *= f.phi
			phiSum += phiPow
		}
		base := f.level + phiSum*f.slope
		switch f.season {
		case SeasonAdditive:
			base += f.seasonal[(f.n+j-1)%f.period]
		case SeasonMultiplicative:
			base *= f.seasonal[(f.n+j-1)%f.period]
		}
		out[j-1] = base
	}
	return out
}

// hwProblem holds a series and its initial states while the smoothing
// parameters are searched.
type hwProblem struct {
	y      []float64
	trend  Trend
	season Season
	period int
	level0 float64
	slope0 float64
	// init holds the initial seasonal states by phase.
	init []float64
	// work holds the seasonal states during a pass.
	work []float64
}

// fitHoltWinters fits the given components to y.
func fitHoltWinters(y []float64, trend Trend, season Season, period int) (*hwFit, error) {
	if trend < TrendNone || trend > TrendDamped || season < SeasonNone || season > SeasonMultiplicative {
		return nil, fmt.Errorf("unknown trend %d or season %d", trend, season)
	}
	minLen := 3
	if season != SeasonNone {
		if period < 2 {
			return nil, fmt.Errorf("seasonal period %d: must be at least 2", period)
		}
		minLen = max(2*period, 3)
	} else {
		period = 1
	}
	if err := checkInput(y, 1, minLen); err != nil {
		return nil, err
	}
	if season == SeasonMultiplicative && !allPositive(y) {
		return nil, fmt.Errorf("multiplicative season: %w", ErrNonPositive)
	}
	p, err := newHWProblem(y, trend, season, period)
	if err != nil {
		return nil, err
	}

	// Parameters in search order: α, β/α, γ/(1−α), φ.
	x0 := []float64{0.3}
	step := []float64{0.2}
	lo := []float64{paramLo}
	hi := []float64{paramHi}
	if trend != TrendNone {
		x0, step, lo, hi = append(x0, 0.1), append(step, 0.2), append(lo, paramLo), append(hi, paramHi)
	}
	if season != SeasonNone {
		x0, step, lo, hi = append(x0, 0.1), append(step, 0.2), append(lo, paramLo), append(hi, paramHi)
	}
	if trend == TrendDamped {
		x0, step, lo, hi = append(x0, 0.95), append(step, 0.03), append(lo, phiLo), append(hi, phiHi)
	}
	objective := func(x []float64) float64 {
		a, b, g, phi := p.params(x)
		return p.run(a, b, g, phi, nil)
	}
	// A multiplicative season can leave the admissible region at once for
	// large parameters; smaller ones are tried before giving up.
	for _, scale := range []float64{1, 0.2, 0.03} {
		if x := scaleStart(x0, scale, trend); !math.IsInf(objective(x), 1) {
			x0 = x
			break
		}
	}
	x, sse := nelderMead(objective, x0, step, lo, hi, hwMaxEvalPerDim*len(x0), hwTolerance)
	if math.IsInf(sse, 1) {
		return nil, fmt.Errorf("no admissible parameters: %w", ErrDiverged)
	}
	fit := &hwFit{trend: trend, season: season, period: period, n: len(y)}
	fit.alpha, fit.beta, fit.gamma, fit.phi = p.params(x)
	fit.sse = p.run(fit.alpha, fit.beta, fit.gamma, fit.phi, fit)
	// Smoothing parameters, plus the initial level, slope and free seasonal
	// states.
	fit.parameters = len(x) + 1
	if trend != TrendNone {
		fit.parameters++
	}
	if season != SeasonNone {
		fit.parameters += period - 1
	}
	return fit, nil
}

// scaleStart returns the starting point x0 with the smoothing parameters (not
// the damping φ, which is last for a damped trend) multiplied by f.
func scaleStart(x0 []float64, f float64, trend Trend) []float64 {
	x := append([]float64(nil), x0...)
	k := len(x)
	if trend == TrendDamped {
		k--
	}
	for i := range x[:k] {
		x[i] = max(x[i]*f, paramLo)
	}
	return x
}

// newHWProblem estimates the initial states from the first seasons of y.
func newHWProblem(y []float64, trend Trend, season Season, period int) (*hwProblem, error) {
	p := &hwProblem{y: y, trend: trend, season: season, period: period}
	p.init = make([]float64, period)
	p.work = make([]float64, period)
	var adj []float64
	if season == SeasonNone {
		adj = y[:min(len(y), 10)]
	} else {
		k := min(len(y)/period, 3)
		head := y[:k*period]
		idx := ClassicalDecompose(head, period, season == SeasonMultiplicative)
		if idx == nil {
			return nil, fmt.Errorf("initial seasonal states: trend of the first seasons is not positive: %w", ErrNonPositive)
		}
		copy(p.init, idx)
		adj = make([]float64, len(head))
		for t, v := range head {
			if season == SeasonMultiplicative {
				adj[t] = v / idx[t%period]
			} else {
				adj[t] = v - idx[t%period]
			}
		}
	}
	if trend == TrendNone {
		p.level0 = mean(adj[:min(len(adj), max(period, 10))])
		return p, nil
	}
	// The states before the first value: the fitted line at t = -1.
	a, b := linearFit(adj)
	p.level0, p.slope0 = a-b, b
	return p, nil
}

// params maps a search point to (α, β, γ, φ).
func (p *hwProblem) params(x []float64) (alpha, beta, gamma, phi float64) {
	alpha, phi = x[0], 1
	i := 1
	if p.trend != TrendNone {
		beta = x[i] * alpha
		i++
	}
	if p.season != SeasonNone {
		gamma = x[i] * (1 - alpha)
		i++
	}
	if p.trend == TrendDamped {
		phi = x[i]
	}
	return alpha, beta, gamma, phi
}

// run filters y with the given parameters and returns the sum of squared
// one-step errors, or +Inf when the states leave the admissible region. When
// out is not nil it receives the final states. The recursions are the
// additive-error forms of Hyndman et al. (2008), table 2.3; each season has
// its own loop, since this is the innermost code of every fit.
func (p *hwProblem) run(alpha, beta, gamma, phi float64, out *hwFit) float64 {
	l, b := p.level0, p.slope0
	if p.trend == TrendNone {
		b, phi = 0, 0
	}
	s := p.work
	if out != nil {
		s = make([]float64, p.period)
	}
	copy(s, p.init)
	var sse float64
	switch p.season {
	case SeasonNone:
		for _, v := range p.y {
			base := l + phi*b
			e := v - base
			l = base + alpha*e
			b = phi*b + beta*e
			sse += e * e
		}
	case SeasonAdditive:
		phase := 0
		for _, v := range p.y {
			pb := phi * b
			base := l + pb
			e := v - base - s[phase]
			l = base + alpha*e
			b = pb + beta*e
			s[phase] += gamma * e
			sse += e * e
			if phase++; phase == len(s) {
				phase = 0
			}
		}
	case SeasonMultiplicative:
		phase := 0
		for _, v := range p.y {
			pb := phi * b
			base := l + pb
			si := s[phase]
			if !(base > 0) || !(si > 0) {
				return math.Inf(1)
			}
			e := v - base*si
			et := e / si
			l = base + alpha*et
			b = pb + beta*et
			s[phase] = si + gamma*e/base
			sse += e * e
			if phase++; phase == len(s) {
				phase = 0
			}
		}
	}
	if math.IsNaN(sse) || math.IsInf(sse, 0) {
		return math.Inf(1)
	}
	if out != nil {
		out.level, out.slope, out.seasonal = l, b, s
	}
	return sse
}
