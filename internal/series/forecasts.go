package series

import (
	"context"
	"slices"
	"sync"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// forecasts holds the latest forecast of each forecast series in memory,
// where PromQL and the query API read them next to the TSDB. They are not
// written to the TSDB because their samples lie in the future: appending
// them would move the head's time ahead of the present and cut short the
// window in which present samples are accepted. A forecast is recomputed
// every few minutes, so losing it to a restart costs one interval.
type forecasts struct {
	mu     sync.RWMutex
	series map[uint64]*forecastSeries // By label hash.
	max    int
}

type forecastSeries struct {
	ls      labels.Labels
	samples []chunks.Sample
}

// SetForecast replaces the forecast series with the labels name and ls
// (whose own name, if any, is replaced) by the points (t[i], v[i]), t in
// milliseconds and ascending. It returns false, keeping nothing, when the
// store already holds its maximum number of forecast series.
func (s *Store) SetForecast(name string, ls Labels, t []int64, v []float64) bool {
	b := labels.NewBuilder(ls.ls)
	b.Set(labels.MetricName, name)
	lset := b.Labels()
	samples := make([]chunks.Sample, 0, len(t))
	for i := range t {
		samples = append(samples, floatSample{t: t[i], f: v[i]})
	}
	f := s.forecasts
	f.mu.Lock()
	defer f.mu.Unlock()
	h := lset.Hash()
	if _, ok := f.series[h]; !ok && len(f.series) >= f.max {
		return false
	}
	f.series[h] = &forecastSeries{ls: lset, samples: samples}
	return true
}

// DropForecasts removes the forecast series whose labels match keep's
// negation: every series for which keep returns false.
func (s *Store) DropForecasts(keep func(Labels) bool) int {
	f := s.forecasts
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for h, fs := range f.series {
		if !keep(Labels{fs.ls}) {
			delete(f.series, h)
			n++
		}
	}
	return n
}

// Querier implements storage.Queryable.
func (f *forecasts) Querier(mint, maxt int64) (storage.Querier, error) {
	return &forecastQuerier{f: f, mint: mint, maxt: maxt}, nil
}

type forecastQuerier struct {
	f          *forecasts
	mint, maxt int64
}

func (q *forecastQuerier) matching(ms []*labels.Matcher) []*forecastSeries {
	q.f.mu.RLock()
	defer q.f.mu.RUnlock()
	var out []*forecastSeries
	for _, fs := range q.f.series {
		if matchesAll(fs.ls, ms) {
			out = append(out, fs)
		}
	}
	slices.SortFunc(out, func(a, b *forecastSeries) int { return labels.Compare(a.ls, b.ls) })
	return out
}

func matchesAll(ls labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// Select implements storage.Querier; the series are always sorted.
func (q *forecastQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	var set []storage.Series
	for _, fs := range q.matching(ms) {
		lo, _ := slices.BinarySearchFunc(fs.samples, q.mint, func(s chunks.Sample, t int64) int { return cmpInt64(s.T(), t) })
		hi, found := slices.BinarySearchFunc(fs.samples, q.maxt, func(s chunks.Sample, t int64) int { return cmpInt64(s.T(), t) })
		if found {
			hi++
		}
		if lo < hi {
			set = append(set, storage.NewListSeries(fs.ls, fs.samples[lo:hi]))
		}
	}
	return &sliceSeriesSet{series: set, i: -1}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// LabelValues implements storage.LabelQuerier.
func (q *forecastQuerier) LabelValues(_ context.Context, name string, _ *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	var out []string
	for _, fs := range q.matching(ms) {
		if v := fs.ls.Get(name); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil, nil
}

// LabelNames implements storage.LabelQuerier.
func (q *forecastQuerier) LabelNames(_ context.Context, _ *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	var out []string
	for _, fs := range q.matching(ms) {
		fs.ls.Range(func(l labels.Label) {
			if !slices.Contains(out, l.Name) {
				out = append(out, l.Name)
			}
		})
	}
	slices.Sort(out)
	return out, nil, nil
}

// Close implements storage.LabelQuerier.
func (q *forecastQuerier) Close() error { return nil }

type sliceSeriesSet struct {
	series []storage.Series
	i      int
}

func (s *sliceSeriesSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *sliceSeriesSet) At() storage.Series                { return s.series[s.i] }
func (s *sliceSeriesSet) Err() error                        { return nil }
func (s *sliceSeriesSet) Warnings() annotations.Annotations { return nil }

// floatSample is a float sample for storage.NewListSeries.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                      { return s.t }
func (s floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                    { return s.f }
func (s floatSample) H() *histogram.Histogram       { return nil }
func (s floatSample) FH() *histogram.FloatHistogram { return nil }
func (s floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample           { return s }
