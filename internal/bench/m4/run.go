package m4

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/forecast"
)

// Options configure a benchmark run.
type Options struct {
	// Models are the models to score besides the two reference benchmarks
	// (seasonal naive and Naive2), which are always scored first.
	Models []forecast.Model
	// Workers is the number of series forecast in parallel; 0 means
	// GOMAXPROCS. The results do not depend on it.
	Workers int
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
	// Statsmodels, when not nil, also runs statsmodels' Holt-Winters on the
	// same series in the same run, after Vigil's models.
	Statsmodels *StatsmodelsOptions
}

// ModelResult is one model's accuracy and cost over the series set.
type ModelResult struct {
	// Name is the model's name.
	Name string
	// Score is the model's accuracy.
	Score
	// Seconds is the wall time spent in the model's Forecast calls, summed
	// over series.
	Seconds float64
	// CPUSeconds is the CPU time of those calls, summed over series: the
	// single-core cost, which other load on the machine does not inflate. It
	// is 0 where per-thread CPU time is not available (outside Linux).
	CPUSeconds float64
	// Failed counts the series the model returned an error or a non-finite
	// forecast for; those are scored with the seasonal naive forecast so that
	// every model is scored on every series.
	Failed int
	// FirstError is the first such error, for the report.
	FirstError string
}

// Report is the result of a run.
type Report struct {
	// Series is the number of series, Horizon the number of values forecast
	// for each.
	Series, Horizon int
	// Seconds is the wall time of forecasting and scoring with Vigil's models
	// (the statsmodels comparison, if any, comes after).
	Seconds float64
	// Models are the results in the order run: snaive, naive2, then
	// Options.Models.
	Models []ModelResult
	// Statsmodels is the comparison run, when asked for.
	Statsmodels *StatsmodelsResult
}

// Model returns the result of the named model.
func (r *Report) Model(name string) (ModelResult, bool) {
	for _, m := range r.Models {
		if m.Name == name {
			return m, true
		}
	}
	return ModelResult{}, false
}

// Reference returns the two reference benchmarks every run scores first.
func Reference() []forecast.Model {
	return []forecast.Model{forecast.SeasonalNaive{Period: Frequency}, Naive2{}}
}

// seriesResult is the per-series outcome of every model.
type seriesResult struct {
	smape, mase []float64
	seconds     []float64
	cpu         []float64
	err         []error
}

// Run forecasts the Horizon values after the training part of every series of
// ds with every model and scores them against the test part. Series are
// spread over workers; every per-series result is stored by index and summed
// in series order, so the scores do not depend on the scheduling.
func Run(ctx context.Context, ds *Dataset, opts Options) (*Report, error) {
	if len(ds.Series) == 0 {
		return nil, fmt.Errorf("m4: no series")
	}
	models := append(Reference(), opts.Models...)
	seenNames := make(map[string]bool)
	for _, m := range models {
		if seenNames[m.Name()] {
			return nil, fmt.Errorf("m4: model %q given twice", m.Name())
		}
		seenNames[m.Name()] = true
	}
	// Find Python first, so that a missing statsmodels fails the run at
	// once rather than after the forecasts.
	var python, version string
	if opts.Statsmodels != nil {
		var err error
		if python, version, err = findStatsmodels(ctx, *opts.Statsmodels); err != nil {
			return nil, err
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	results := make([]seriesResult, len(ds.Series))
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		lastShow time.Time
	)
	for range workers {
		wg.Go(func() {
			// Locked to its thread, the worker can read its own CPU time.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := range jobs {
				results[i] = runSeries(&ds.Series[i], models)
				mu.Lock()
				done++
				if now := time.Now(); done == len(ds.Series) || now.Sub(lastShow) >= time.Second {
					lastShow = now
					fmt.Fprintf(progress, "m4: %d/%d series, %.1fs\n", done, len(ds.Series), now.Sub(start).Seconds())
				}
				mu.Unlock()
			}
		})
	}
	var cancelled error
feed:
	for i := range ds.Series {
		if cancelled = ctx.Err(); cancelled != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			cancelled = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("m4: %w", cancelled)
	}

	rep := &Report{Series: len(ds.Series), Horizon: Horizon, Seconds: time.Since(start).Seconds()}
	for k, m := range models {
		r := ModelResult{Name: m.Name()}
		for i := range results {
			sr := &results[i]
			r.SMAPE += sr.smape[k]
			r.MASE += sr.mase[k]
			r.Seconds += sr.seconds[k]
			r.CPUSeconds += sr.cpu[k]
			if sr.err[k] != nil {
				if r.Failed == 0 {
					r.FirstError = fmt.Sprintf("%s: %v", ds.Series[i].ID, sr.err[k])
				}
				r.Failed++
			}
		}
		r.SMAPE /= float64(len(results))
		r.MASE /= float64(len(results))
		rep.Models = append(rep.Models, r)
	}
	naive2 := rep.Models[1].Score
	for k := range rep.Models {
		rep.Models[k].OWA = OWA(rep.Models[k].SMAPE, rep.Models[k].MASE, naive2)
	}
	if opts.Statsmodels != nil {
		sm, err := runStatsmodels(ctx, ds, python, version, workers, progress, naive2)
		if err != nil {
			return nil, err
		}
		rep.Statsmodels = sm
	}
	return rep, nil
}

// runSeries forecasts one series with every model and scores the forecasts. A
// model that fails or returns a non-finite forecast is scored with the
// seasonal naive forecast.
func runSeries(s *Series, models []forecast.Model) seriesResult {
	r := seriesResult{
		smape:   make([]float64, len(models)),
		mase:    make([]float64, len(models)),
		seconds: make([]float64, len(models)),
		cpu:     make([]float64, len(models)),
		err:     make([]error, len(models)),
	}
	for k, m := range models {
		c0, _ := threadCPU()
		t0 := time.Now()
		f, err := m.Forecast(s.Train, Horizon)
		r.seconds[k] = time.Since(t0).Seconds()
		if c1, ok := threadCPU(); ok {
			r.cpu[k] = (c1 - c0).Seconds()
		}
		switch {
		case err != nil:
		case len(f) != Horizon:
			err = fmt.Errorf("%d values, want %d", len(f), Horizon)
		case !allFinite(f):
			err = fmt.Errorf("non-finite forecast")
		}
		if err != nil {
			r.err[k] = err
			f = seasonalNaive(s.Train)
		}
		r.smape[k] = SMAPE(s.Test, f)
		r.mase[k] = MASE(s.Train, s.Test, f, Frequency)
	}
	return r
}

// Periods are the season lengths the benchmark gives the models: daily and
// weekly for hourly data.
func Periods() []int { return []int{24, 168} }

// DefaultModels returns the models `vigil bench m4` scores besides the
// reference benchmarks: weekly seasonal naive, the classic additive
// Holt-Winters that statsmodels is compared with, damped Holt-Winters with
// additive and multiplicative seasons, automatic ETS, Theta, MSTL on values
// and on logarithms, and Auto with its default configuration.
func DefaultModels() []forecast.Model {
	p := Periods()
	return []forecast.Model{
		forecast.SeasonalNaive{Period: 168},
		ClassicHoltWinters(),
		forecast.HoltWinters{Trend: forecast.TrendDamped, Season: forecast.SeasonAdditive, Period: Frequency},
		forecast.HoltWinters{Trend: forecast.TrendDamped, Season: forecast.SeasonMultiplicative, Period: Frequency},
		forecast.ETS{Periods: p},
		forecast.Theta{Periods: []int{168, 24}},
		forecast.MSTL{Periods: p},
		forecast.MSTL{Periods: p, Log: true},
		forecast.Auto{Periods: p},
	}
}

// ClassicHoltWinters is Vigil's model with statsmodels' specification in the
// comparison: additive trend, additive season of 24.
func ClassicHoltWinters() forecast.HoltWinters {
	return forecast.HoltWinters{Trend: forecast.TrendAdditive, Season: forecast.SeasonAdditive, Period: Frequency}
}

// Speedup returns how many times less time the named model took than
// statsmodels over the same series, by CPU time where it was measured on both
// sides and by wall time otherwise, and which of the two it used. It returns
// 0 without a statsmodels run or for an unknown model.
func (r *Report) Speedup(model string) (ratio float64, basis string) {
	m, ok := r.Model(model)
	if !ok || r.Statsmodels == nil {
		return 0, ""
	}
	if m.CPUSeconds > 0 && r.Statsmodels.CPUSeconds > 0 {
		return r.Statsmodels.CPUSeconds / m.CPUSeconds, "cpu"
	}
	if m.Seconds > 0 {
		return r.Statsmodels.Seconds / m.Seconds, "wall"
	}
	return 0, ""
}

// MarshalJSON writes the report as `vigil bench m4 --json` prints it:
// {"series", "horizon", "seconds", "models": {name: {"smape", "mase",
// "owa"}}}, and, after a comparison, "statsmodels" with its scores, times and
// the speed-up of Vigil's classic Holt-Winters and of auto.
func (r *Report) MarshalJSON() ([]byte, error) {
	type statsmodels struct {
		Version     string             `json:"version"`
		Model       string             `json:"model"`
		SMAPE       float64            `json:"smape"`
		MASE        float64            `json:"mase"`
		OWA         float64            `json:"owa"`
		Seconds     float64            `json:"seconds"`
		CPUSeconds  float64            `json:"cpu_seconds"`
		WallSeconds float64            `json:"wall_seconds"`
		Failed      int                `json:"failed"`
		Speedup     map[string]float64 `json:"speedup"`
		Basis       string             `json:"speedup_basis"`
	}
	out := struct {
		Series      int              `json:"series"`
		Horizon     int              `json:"horizon"`
		Seconds     float64          `json:"seconds"`
		Models      map[string]Score `json:"models"`
		Statsmodels *statsmodels     `json:"statsmodels,omitempty"`
	}{Series: r.Series, Horizon: r.Horizon, Seconds: r.Seconds, Models: make(map[string]Score, len(r.Models))}
	for _, m := range r.Models {
		out.Models[m.Name] = m.Score
	}
	if sm := r.Statsmodels; sm != nil {
		out.Statsmodels = &statsmodels{
			Version: sm.Version, Model: StatsmodelsModel,
			SMAPE: sm.SMAPE, MASE: sm.MASE, OWA: sm.OWA,
			Seconds: sm.Seconds, CPUSeconds: sm.CPUSeconds, WallSeconds: sm.WallSeconds,
			Failed:  sm.Failed,
			Speedup: make(map[string]float64),
		}
		for _, name := range []string{ClassicHoltWinters().Name(), "auto"} {
			if ratio, basis := r.Speedup(name); ratio > 0 {
				out.Statsmodels.Speedup[name] = ratio
				out.Statsmodels.Basis = basis
			}
		}
	}
	return json.Marshal(out)
}
