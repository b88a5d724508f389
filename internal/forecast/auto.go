package forecast

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Combination says how Auto turns the forecasts of its best models into one.
type Combination int

// The combinations.
const (
	// CombineMedian takes the median of the best models' forecasts at each
	// step, which a single wild member cannot drag away.
	CombineMedian Combination = iota
	// CombineWeighted averages the best models' forecasts with weights
	// inversely proportional to their backtest errors.
	CombineWeighted
	// CombineBest uses the single best model.
	CombineBest
)

// Defaults of Auto's zero fields.
const (
	DefaultOrigins = 2
	DefaultCombine = 3
	DefaultLevel   = 0.9
)

// Auto chooses a forecast for a series by rolling-origin backtesting on the
// series' own history: each candidate model forecasts the last windows of the
// series from the values before them (Origins windows of the requested
// horizon, back to back), the candidates are ranked by their mean absolute
// error scaled by the seasonal naive error of the training part (MASE), and
// the best Combine are combined (by default, the median at each step).
// Prediction intervals come from the quantiles of the combination's own
// backtest errors.
//
// Auto accepts any input: gaps (NaN, ±Inf) are filled by linear
// interpolation, a constant series gets a constant forecast, a series shorter
// than two of the shortest season gets non-seasonal exponential smoothing,
// and models that cannot handle values ≤ 0 drop out. Prediction says which
// fallback was taken and why. It never returns a non-finite forecast.
type Auto struct {
	// Periods lists the candidate season lengths in samples, such as 24 and
	// 168 for hourly data. They configure the default candidates and the
	// scale of the backtest errors.
	Periods []int
	// Models are the candidates; nil means DefaultModels(Periods).
	Models []Model
	// Origins is the number of backtest windows (DefaultOrigins when 0).
	Origins int
	// Combine is how many of the best models are combined (DefaultCombine
	// when 0).
	Combine int
	// Combination is how they are combined.
	Combination Combination
	// Level is the coverage of the prediction intervals, in (0, 1)
	// (DefaultLevel when 0).
	Level float64
}

// DefaultModels returns Auto's default candidates for the given season
// lengths: seasonal naive for each period, damped Holt-Winters with an
// additive and a multiplicative season of the shortest period, Theta, and
// MSTL on the values and on their logarithms.
func DefaultModels(periods []int) []Model {
	ps := validPeriods(periods)
	var ms []Model
	for _, p := range ps {
		ms = append(ms, SeasonalNaive{Period: p})
	}
	if len(ps) > 0 {
		ms = append(ms,
			HoltWinters{Trend: TrendDamped, Season: SeasonAdditive, Period: ps[0]},
			HoltWinters{Trend: TrendDamped, Season: SeasonMultiplicative, Period: ps[0]},
		)
	}
	desc := slices.Clone(ps)
	slices.Reverse(desc)
	ms = append(ms, Theta{Periods: desc}, MSTL{Periods: ps}, MSTL{Periods: ps, Log: true})
	return ms
}

// validPeriods returns the periods of at least 2, ascending, without
// duplicates.
func validPeriods(periods []int) []int {
	var ps []int
	for _, p := range periods {
		if p >= 2 && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// Candidate is one candidate model's backtest result.
type Candidate struct {
	// Name is the model's name.
	Name string
	// Score is the mean scaled backtest error (lower is better), +Inf when
	// the model failed on a backtest window.
	Score float64
	// Weight is the model's weight in the combined forecast (equal weights
	// for the median), 0 when it is not a member.
	Weight float64
	// Err is why the model failed, when it did.
	Err string
}

// Prediction is Auto's forecast.
type Prediction struct {
	// Mean is the point forecast, one value per step.
	Mean []float64
	// Lower and Upper bound the prediction interval at Level.
	Lower, Upper []float64
	// Level is the nominal coverage of the interval.
	Level float64
	// Model names what made Mean: "ensemble" for a combination of the
	// candidates with non-zero weight, a single model's name, or "constant".
	Model string
	// Candidates are the backtest results of every candidate, best first;
	// empty when the input called for a fallback before the backtest.
	Candidates []Candidate
	// Fallback, when not empty, says why the input did not allow the normal
	// procedure and what was done instead.
	Fallback string
	// Notes say how the input was repaired, if it was.
	Notes []string
}

// Name returns "auto".
func (Auto) Name() string { return "auto" }

// Forecast returns the point forecast of Predict.
func (a Auto) Forecast(y []float64, h int) ([]float64, error) {
	p, err := a.Predict(y, h)
	if err != nil {
		return nil, err
	}
	return p.Mean, nil
}

// Predict forecasts h values after y with intervals. It returns an error only
// for a horizon below 1 or a series without a single finite value.
func (a Auto) Predict(y []float64, h int) (Prediction, error) {
	if h <= 0 {
		return Prediction{}, fmt.Errorf("auto: %w: %d", ErrHorizon, h)
	}
	level := a.Level
	if level <= 0 || level >= 1 {
		level = DefaultLevel
	}
	r, err := repair(y)
	if err != nil {
		return Prediction{}, fmt.Errorf("auto: %w", err)
	}
	x, steps := r.y, h+r.skip
	p := Prediction{Level: level, Notes: r.notes}
	ps := validPeriods(a.Periods)
	minPeriod := 1
	if len(ps) > 0 {
		minPeriod = ps[0]
	}
	shortLen := max(2*minPeriod, 10)

	switch {
	case isConstant(x):
		p.Model = "constant"
		p.Fallback = "constant series: its value is repeated"
		mean := make([]float64, steps)
		for i := range mean {
			mean[i] = x[len(x)-1]
		}
		p.setIntervals(mean, make([]float64, steps), r.skip)
		return p, nil
	case len(x) < shortLen:
		a.shortFallback(&p, x, steps, r.skip, fmt.Sprintf("%d values are fewer than two seasons (%d)", len(x), shortLen))
		return p, nil
	}
	if !allPositive(x) {
		p.Notes = append(p.Notes, "the series holds values ≤ 0: multiplicative and logarithmic models are not used")
	}

	models := a.Models
	if models == nil {
		models = DefaultModels(ps)
	}
	origins := a.Origins
	if origins <= 0 {
		origins = DefaultOrigins
	}
	starts, hb := windows(len(x), steps, origins, shortLen)
	if len(starts) == 0 {
		a.shortFallback(&p, x, steps, r.skip, fmt.Sprintf("%d values leave no room for a backtest window", len(x)))
		return p, nil
	}
	bt := backtest(models, x, starts, hb, minPeriod)
	p.Candidates = bt.candidates

	// Fit the chosen members on the whole series; a member that fails now
	// (rare: the backtest ran on shorter parts of the same series) is
	// dropped.
	var (
		fcs     [][]float64
		weights []float64
		kept    []int
	)
	for _, m := range a.choose(bt) {
		f, err := models[m.index].Forecast(x, steps)
		if err != nil {
			continue
		}
		fcs = append(fcs, f)
		weights = append(weights, m.weight)
		kept = append(kept, m.index)
	}
	if len(fcs) == 0 {
		a.shortFallback(&p, x, steps, r.skip, "no candidate model could forecast both the backtest windows and the whole series")
		return p, nil
	}
	weights = normalise(weights)
	mean := a.combine(fcs, weights)
	if checkOutput("ensemble", mean) != nil {
		// Only a weighted mean of values near the float64 range overflows.
		a.shortFallback(&p, x, steps, r.skip, "the combined forecast overflowed")
		return p, nil
	}
	for i := range p.Candidates {
		if k := slices.Index(kept, bt.order[i]); k >= 0 {
			p.Candidates[i].Weight = weights[k]
		}
	}
	p.Model = "ensemble"
	if len(fcs) == 1 {
		p.Model = models[kept[0]].Name()
	}

	// The combination's errors on the backtest windows give the widths. A
	// member's backtest forecasts exist: its score is finite.
	errs := make([][]float64, len(starts))
	fs := make([][]float64, len(kept))
	for o, start := range starts {
		for i, k := range kept {
			fs[i] = bt.forecasts[k][o]
		}
		c := a.combine(fs, weights)
		errs[o] = make([]float64, hb)
		for j := range errs[o] {
			errs[o][j] = x[start+j] - c[j]
		}
	}
	p.setIntervals(mean, errorWidths(errs, steps, level), r.skip)
	return p, nil
}

// windows returns the starts of the backtest windows of a series of n values
// and their length: back-to-back windows of the forecast horizon, shortened
// so that every training part keeps at least shortLen values and half the
// series.
func windows(n, steps, origins, shortLen int) (starts []int, length int) {
	length = min(steps, max(1, (n-max(shortLen, n/2))/origins))
	for i := 1; i <= origins; i++ {
		if o := n - i*length; o >= shortLen {
			starts = append(starts, o)
		}
	}
	return starts, length
}

// member is a chosen candidate: its index in the model list and its weight.
type member struct {
	index  int
	weight float64
}

// choose picks the members from the backtest ranking.
func (a Auto) choose(bt backtestResult) []member {
	k := a.Combine
	if k <= 0 {
		k = DefaultCombine
	}
	if a.Combination == CombineBest {
		k = 1
	}
	var out []member
	for i, c := range bt.candidates {
		if len(out) == k || math.IsInf(c.Score, 1) {
			break
		}
		w := 1.0
		if a.Combination == CombineWeighted {
			w = 1 / max(c.Score, 1e-9)
		}
		out = append(out, member{index: bt.order[i], weight: w})
	}
	return out
}

// combine merges forecasts of equal length with the given weights (which sum
// to 1), or by their median.
func (a Auto) combine(fcs [][]float64, weights []float64) []float64 {
	out := make([]float64, len(fcs[0]))
	if a.Combination == CombineMedian && len(fcs) > 2 {
		col := make([]float64, len(fcs))
		for j := range out {
			for i, f := range fcs {
				col[i] = f[j]
			}
			out[j] = median(col)
		}
		return out
	}
	for i, f := range fcs {
		for j, v := range f {
			out[j] += weights[i] * v
		}
	}
	return out
}

// shortFallback fills p with the forecast of the first model of the fallback
// chain that succeeds: non-seasonal ETS (no trend or a damped trend), or, for
// fewer than three values, the last value repeated. Intervals are those of a
// random walk with the spread of the series' one-step changes.
func (a Auto) shortFallback(p *Prediction, x []float64, steps, skip int, why string) {
	chain := []Model{ETS{}, SeasonalNaive{Period: 1}}
	for _, m := range chain {
		f, err := m.Forecast(x, steps)
		if err != nil {
			continue
		}
		p.Model = m.Name()
		p.Fallback = why + ": " + describe(m)
		p.setIntervals(f, randomWalkWidths(x, steps, p.Level), skip)
		return
	}
	// Unreachable: the naive model forecasts any non-empty finite series.
	panic("forecast: naive fallback failed")
}

// describe returns a phrase for a fallback model.
func describe(m Model) string {
	if _, ok := m.(ETS); ok {
		return "non-seasonal exponential smoothing (ets)"
	}
	return "the last value repeated (" + m.Name() + ")"
}

// setIntervals stores the mean and symmetric interval half-widths, without
// the first skip steps (those the caller already has values for). Bounds that
// overflow (only series near the float64 range do that) are clamped to the
// largest finite values.
func (p *Prediction) setIntervals(mean, width []float64, skip int) {
	mean, width = mean[skip:], width[skip:]
	p.Mean = mean
	p.Lower = make([]float64, len(mean))
	p.Upper = make([]float64, len(mean))
	for j, m := range mean {
		w := width[j]
		if !(w <= math.MaxFloat64) { // NaN or +Inf.
			w = math.MaxFloat64
		}
		p.Lower[j] = max(m-w, -math.MaxFloat64)
		p.Upper[j] = min(m+w, math.MaxFloat64)
	}
}

// errorWidths returns interval half-widths for steps steps from backtest
// errors (one row per window): at step j the level-quantile of the absolute
// errors of all windows at steps j−w..j+w (w = hb/8), and beyond the backtest
// horizon the last width grown with the square root of the step.
func errorWidths(errs [][]float64, steps int, level float64) []float64 {
	out := make([]float64, steps)
	if len(errs) == 0 {
		return out
	}
	hb := len(errs[0])
	w := max(1, hb/8)
	buf := make([]float64, 0, len(errs)*(2*w+1))
	for j := 0; j < min(steps, hb); j++ {
		buf = buf[:0]
		for _, e := range errs {
			for i := max(0, j-w); i <= min(hb-1, j+w); i++ {
				buf = append(buf, math.Abs(e[i]))
			}
		}
		out[j] = conformalQuantile(buf, level)
	}
	for j := hb; j < steps; j++ {
		out[j] = out[hb-1] * math.Sqrt(float64(j+1)/float64(hb))
	}
	return out
}

// randomWalkWidths returns the half-widths of a random walk's intervals:
// z·σ·√j, with σ the standard deviation of the one-step changes of x.
func randomWalkWidths(x []float64, steps int, level float64) []float64 {
	out := make([]float64, steps)
	if len(x) < 3 {
		return out
	}
	d := make([]float64, len(x)-1)
	for i := range d {
		d[i] = x[i+1] - x[i]
	}
	m := mean(d)
	var ss float64
	for _, v := range d {
		ss += (v - m) * (v - m)
	}
	sigma := math.Sqrt(ss / float64(len(d)-1))
	z := math.Sqrt2 * math.Erfinv(level)
	for j := range out {
		out[j] = z * sigma * math.Sqrt(float64(j+1))
	}
	return out
}

// backtestResult holds every candidate's backtest.
type backtestResult struct {
	// candidates are sorted best first; order[i] is the model index of
	// candidates[i].
	candidates []Candidate
	order      []int
	// forecasts[model][window] is the forecast of a window, nil on failure.
	forecasts [][][]float64
}

// backtest forecasts the hb values after each start with every model, trained
// on the values before it, and scores each model by its mean MASE.
func backtest(models []Model, x []float64, starts []int, hb, period int) backtestResult {
	res := backtestResult{
		candidates: make([]Candidate, len(models)),
		order:      make([]int, len(models)),
		forecasts:  make([][][]float64, len(models)),
	}
	for k, m := range models {
		c := Candidate{Name: m.Name()}
		res.forecasts[k] = make([][]float64, len(starts))
		var sum float64
		for o, s := range starts {
			f, err := m.Forecast(x[:s], hb)
			if err != nil {
				c.Score = math.Inf(1)
				c.Err = err.Error()
				break
			}
			res.forecasts[k][o] = f
			sum += scaledError(x[:s], x[s:s+hb], f, period)
		}
		if len(starts) == 0 {
			c.Score = math.Inf(1)
			c.Err = "no backtest window"
		}
		if c.Err == "" {
			c.Score = sum / float64(len(starts))
		}
		res.candidates[k] = c
		res.order[k] = k
	}
	sort.SliceStable(res.order, func(i, j int) bool {
		return res.candidates[res.order[i]].Score < res.candidates[res.order[j]].Score
	})
	sorted := make([]Candidate, len(models))
	for i, k := range res.order {
		sorted[i] = res.candidates[k]
	}
	res.candidates = sorted
	return res
}

// scaledError is the mean absolute error of f against actual divided by the
// mean absolute seasonal difference of train (lag period, or lag 1 when train
// is too short); a zero scale falls back to the mean absolute value of train,
// then to 1.
func scaledError(train, actual, f []float64, period int) float64 {
	var mae float64
	for j, v := range actual {
		mae += math.Abs(v - f[j])
	}
	mae /= float64(len(actual))
	lag := period
	if len(train) <= lag {
		lag = 1
	}
	var scale float64
	for t := lag; t < len(train); t++ {
		scale += math.Abs(train[t] - train[t-lag])
	}
	if len(train) > lag {
		scale /= float64(len(train) - lag)
	}
	if !(scale > 0) {
		for _, v := range train {
			scale += math.Abs(v)
		}
		scale /= float64(len(train))
	}
	if !(scale > 0) {
		scale = 1
	}
	return mae / scale
}

// normalise scales w to sum to 1.
func normalise(w []float64) []float64 {
	var s float64
	for _, v := range w {
		s += v
	}
	for i := range w {
		w[i] /= s
	}
	return w
}

// median returns the median of v, reordering v.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// conformalQuantile returns the ⌈(n+1)·q⌉-th smallest of the n values of v
// (the largest when that exceeds n), reordering v. For exchangeable errors an
// interval of that half-width covers a new error with probability at least q,
// where the plain empirical quantile of a few values falls short.
func conformalQuantile(v []float64, q float64) float64 {
	slices.Sort(v)
	k := int(math.Ceil(float64(len(v)+1) * q))
	return v[min(max(k, 1), len(v))-1]
}
