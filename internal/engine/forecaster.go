package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/detect"
	"github.com/vigil-aiops/vigil/internal/forecast"
	"github.com/vigil-aiops/vigil/internal/series"
)

// KindPrediction is the kind of the Signals the Forecaster emits.
const KindPrediction = "prediction"

// ForecastMetric is the forecast series the Forecaster serves, with the
// labels of the forecast series, source_metric naming its metric and
// bound one of mean, lower and upper.
const ForecastMetric = "vigil_forecast"

// ForecastTarget selects series to forecast with a PromQL expression and,
// when Limit is set, says at which value the resource they measure is
// exhausted (a disk's free bytes reach 0, a pool's utilisation 1).
type ForecastTarget struct {
	Query string
	Limit *float64
}

// ForecastStore is what the Forecaster needs of the series store.
type ForecastStore interface {
	QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]series.Range, error)
	SetForecast(name string, ls series.Labels, t []int64, v []float64) bool
	DropForecasts(keep func(series.Labels) bool) int
}

// ForecasterOptions configure a Forecaster.
type ForecasterOptions struct {
	Store   ForecastStore
	Targets []ForecastTarget
	// Step is the resolution of the history and of the forecast; History
	// how far back the models learn (a week or more lets them see weekly
	// seasonality); Horizon how far ahead they forecast.
	Step, History, Horizon time.Duration
	// MaxSeries bounds the series forecast per round.
	MaxSeries int
	Signals   SignalSink
	Logger    *slog.Logger
	// Registerer receives vigil_forecast_* metrics.
	Registerer prometheus.Registerer
}

// Forecaster forecasts the series its targets select, serves the
// forecasts as vigil_forecast series so that dashboards draw them into
// the future, and predicts when resources run out: a Signal of kind
// prediction with the lead time and a confidence, when the forecast
// crosses a target's limit within the horizon. The models see daily and
// weekly seasonality, so a daily sawtooth that never trends towards the
// limit raises nothing, unlike a straight-line extrapolation such as
// PromQL's predict_linear. Targets with a limit are forecast by their
// local trend under the daily profile (forecast.LocalTrend), the others by
// forecast.Auto.
type Forecaster struct {
	opts ForecasterOptions
	// predicted holds the series with a prediction in force, by subject,
	// so that it is cleared when the forecast no longer crosses.
	predicted map[string]Signal
	m         struct {
		series, failed, predictions prometheus.Counter
		seconds                     prometheus.Gauge
	}
}

// NewForecaster returns a Forecaster.
func NewForecaster(opts ForecasterOptions) (*Forecaster, error) {
	switch {
	case opts.Store == nil:
		return nil, fmt.Errorf("new forecaster: store must be set")
	case opts.Step <= 0 || opts.History < 2*opts.Step || opts.Horizon < opts.Step:
		return nil, fmt.Errorf("new forecaster: step %s, history %s, horizon %s: need step > 0, history >= 2 steps, horizon >= 1 step", opts.Step, opts.History, opts.Horizon)
	case opts.MaxSeries <= 0:
		return nil, fmt.Errorf("new forecaster: max series %d must be positive", opts.MaxSeries)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Forecaster{opts: opts, predicted: map[string]Signal{}}
	f.m.series = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_forecast_series_total", Help: "Series forecast."})
	f.m.failed = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_forecast_failures_total", Help: "Target queries or series that could not be forecast."})
	f.m.predictions = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_forecast_predictions_total", Help: "Exhaustion predictions raised."})
	f.m.seconds = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_forecast_round_seconds", Help: "How long the last forecasting round took."})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(f.m.series, f.m.failed, f.m.predictions, f.m.seconds)
	}
	return f, nil
}

// Run forecasts every interval until ctx ends.
func (f *Forecaster) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		f.RunOnce(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce forecasts every target's series as of now. It is not safe for
// concurrent use.
func (f *Forecaster) RunOnce(ctx context.Context, now time.Time) {
	began := time.Now()
	defer func() { f.m.seconds.Set(time.Since(began).Seconds()) }()
	now = now.Truncate(f.opts.Step)
	n := 0
	kept := map[string]bool{}
	seen := map[string]bool{}
	for _, tg := range f.opts.Targets {
		rs, err := f.opts.Store.QueryRange(ctx, tg.Query, now.Add(-f.opts.History), now, f.opts.Step)
		if err != nil {
			f.m.failed.Inc()
			f.opts.Logger.Warn("forecast target query failed", "query", tg.Query, "err", err)
			continue
		}
		for _, r := range rs {
			if n >= f.opts.MaxSeries {
				f.m.failed.Inc()
				break
			}
			n++
			key := r.Labels.String()
			seen[key] = true
			if err := f.forecast(now, tg, r, kept); err != nil {
				f.m.failed.Inc()
				f.opts.Logger.Warn("forecast failed", "series", key, "err", err)
			}
		}
	}
	// Forecasts of series no target selects any more go; so do their
	// predictions, cleared.
	f.opts.Store.DropForecasts(func(l series.Labels) bool { return kept[forecastKey(l)] })
	for subject, sg := range f.predicted {
		if !seen[subject] {
			f.clear(subject, sg, now)
		}
	}
}

// forecastKey identifies the source series of a forecast series.
func forecastKey(l series.Labels) string {
	m := l.Map()
	m["__name__"] = m["source_metric"]
	delete(m, "source_metric")
	delete(m, "bound")
	return series.FromMap(m).String()
}

func (f *Forecaster) forecast(now time.Time, tg ForecastTarget, r series.Range, kept map[string]bool) error {
	step := f.opts.Step.Milliseconds()
	start := now.Add(-f.opts.History).UnixMilli()
	y := make([]float64, (now.UnixMilli()-start)/step+1)
	for i := range y {
		y[i] = math.NaN()
	}
	first, last := -1, -1
	for i, t := range r.T {
		k := int((t - start) / step)
		if k >= 0 && k < len(y) {
			y[k] = r.V[i]
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if last < 0 {
		return fmt.Errorf("no samples in the last %s", f.opts.History)
	}
	// The series may start within the window; the gaps inside it are the
	// models' to fill.
	y = y[first : last+1]
	var periods []int
	for _, p := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
		if k := int(p / f.opts.Step); k >= 2 && 2*k <= len(y) {
			periods = append(periods, k)
		}
	}
	h := int(f.opts.Horizon / f.opts.Step)
	var pred forecast.Prediction
	if tg.Limit != nil {
		// Exhaustion is a question about the trend: the local trend of
		// the last two days under the daily profile answers it.
		day := int(24 * time.Hour / f.opts.Step)
		m := forecast.LocalTrend{Period: day, Window: 2 * day}
		mean, lower, upper, err := m.Predict(y, h, forecast.DefaultLevel)
		if err != nil {
			return err
		}
		pred = forecast.Prediction{Mean: mean, Lower: lower, Upper: upper, Level: forecast.DefaultLevel, Model: m.Name()}
	} else {
		var err error
		if pred, err = (forecast.Auto{Periods: periods}).Predict(y, h); err != nil {
			return err
		}
	}
	f.m.series.Inc()
	// The forecast starts after the last observed step.
	lastT := start + int64(first+len(y)-1)*step
	ts := make([]int64, h)
	for i := range ts {
		ts[i] = lastT + int64(i+1)*step
	}
	name := r.Labels.Get("__name__")
	for bound, v := range map[string][]float64{"mean": pred.Mean, "lower": pred.Lower, "upper": pred.Upper} {
		ls := labelsWith(r.Labels, "source_metric", name, "bound", bound)
		if !f.opts.Store.SetForecast(ForecastMetric, ls, ts, v) {
			return fmt.Errorf("the forecast store is full")
		}
	}
	kept[labelsWith(r.Labels).String()] = true
	if tg.Limit != nil {
		f.predict(now, *tg.Limit, r, y[len(y)-1], ts, pred)
	}
	return nil
}

// labelsWith returns ls without its name, plus the pairs kv.
func labelsWith(ls series.Labels, kv ...string) series.Labels {
	m := ls.Map()
	delete(m, "__name__")
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if len(kv) == 0 {
		m["__name__"] = ls.Get("__name__")
	}
	return series.FromMap(m)
}

// predict raises or clears the exhaustion prediction of one series. The
// resource runs out where the mean forecast first crosses limit, coming
// from the side the latest value is on. The confidence is the interval's
// coverage when even its optimistic bound crosses, else one half.
func (f *Forecaster) predict(now time.Time, limit float64, r series.Range, current float64, ts []int64, p forecast.Prediction) {
	down := current > limit
	crosses := func(v []float64) int {
		for i, x := range v {
			if (down && x <= limit) || (!down && x >= limit) {
				return i
			}
		}
		return -1
	}
	optimistic, pessimistic := p.Upper, p.Lower
	if !down {
		optimistic, pessimistic = p.Lower, p.Upper
	}
	subject := r.Labels.String()
	at := crosses(p.Mean)
	if at < 0 || math.IsNaN(current) {
		if sg, ok := f.predicted[subject]; ok {
			f.clear(subject, sg, now)
		}
		return
	}
	confidence := 0.5
	if crosses(optimistic) >= 0 {
		confidence = p.Level
	}
	lead := time.UnixMilli(ts[at]).Sub(now)
	earliest := lead
	if i := crosses(pessimistic); i >= 0 {
		earliest = time.UnixMilli(ts[i]).Sub(now)
	}
	sg := Signal{Kind: KindPrediction, Subject: subject, Labels: r.Labels.Map(), At: now.UTC(), Observed: current,
		Expected: detect.Range{Low: limit, High: limit}, Score: confidence, Detectors: "forecast:" + p.Model, Lead: lead,
		Evidence: fmt.Sprintf("forecast to reach %g in %s (at %s; as early as %s), now %g; model %s, confidence %.0f%%",
			limit, lead.Round(time.Minute), time.UnixMilli(ts[at]).UTC().Format(time.RFC3339), earliest.Round(time.Minute), current, describeModel(p), 100*confidence)}
	_, already := f.predicted[subject]
	f.predicted[subject] = sg
	if !already {
		f.m.predictions.Inc()
		f.emit(sg)
	}
}

func (f *Forecaster) clear(subject string, sg Signal, now time.Time) {
	delete(f.predicted, subject)
	sg.Cleared, sg.At = true, now.UTC()
	f.emit(sg)
}

func (f *Forecaster) emit(sg Signal) {
	if f.opts.Signals != nil {
		f.opts.Signals.Signal(sg)
	}
}

// describeModel names the model and, for an ensemble, its members.
func describeModel(p forecast.Prediction) string {
	var members []string
	for _, c := range p.Candidates {
		if c.Weight > 0 {
			members = append(members, c.Name)
		}
	}
	sort.Strings(members)
	if len(members) > 1 {
		return p.Model + " (" + strings.Join(members, ", ") + ")"
	}
	return p.Model
}

// Predictions returns the predictions in force, by subject.
func (f *Forecaster) Predictions() []Signal {
	out := make([]Signal, 0, len(f.predicted))
	for _, sg := range f.predicted {
		out = append(out, sg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subject < out[j].Subject })
	return out
}
