package series

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// SelfWriter stores samples that Vigil's own components produce, such as
// pipeline run metrics, through the same appender as every receiver, so
// the engine sees them too. A sample that storage refuses is counted and
// logged at debug level: self-metrics must never stop the component.
type SelfWriter struct {
	s      *Store
	errors prometheus.Counter
}

// NewSelfWriter returns a writer into s for the named component, which
// labels its error counter.
func (s *Store) NewSelfWriter(component string, reg prometheus.Registerer) *SelfWriter {
	w := &SelfWriter{s: s, errors: prometheus.NewCounter(prometheus.CounterOpts{
		Name:        "vigil_series_self_write_errors_total",
		Help:        "Samples from Vigil's own components that storage refused.",
		ConstLabels: prometheus.Labels{"component": component},
	})}
	reg.MustRegister(w.errors)
	return w
}

// Write stores one sample of the series name{labels}.
func (w *SelfWriter) Write(name string, lbls map[string]string, t time.Time, v float64) {
	b := labels.NewScratchBuilder(len(lbls) + 1)
	b.Add(labels.MetricName, name)
	for k, val := range lbls {
		b.Add(k, val)
	}
	b.Sort()
	app := w.s.Appender(context.Background())
	if _, err := app.Append(0, b.Labels(), 0, t.UnixMilli(), v, nil, nil, storage.AppendV2Options{}); err != nil {
		_ = app.Rollback()
		w.errors.Inc()
		w.s.logger.Debug("self-metric refused", "name", name, "err", err)
		return
	}
	if err := app.Commit(); err != nil {
		w.errors.Inc()
		w.s.logger.Warn("self-metric commit failed", "name", name, "err", err)
	}
}

// Point is one sample of a series Vigil derives, such as an anomaly score.
type Point struct {
	Name   string
	Labels Labels // The labels besides the name; __name__ in it is replaced.
	// ExtraName=ExtraValue, when ExtraName is set, is added, replacing a
	// label of Labels with the same name.
	ExtraName, ExtraValue string
	T                     int64 // milliseconds
	V                     float64
	// Ref, when not zero, is the derived series' reference from an earlier
	// WriteBatch; it spares rebuilding and looking up its labels. WriteBatch
	// sets it for the next time.
	Ref uint64
}

// WriteBatch stores points in one commit, through the same appender as
// every receiver but without showing them to observers, so that what an
// observer derives never comes back to it. Points storage refuses (out of
// order, invalid) are counted and skipped.
func (w *SelfWriter) WriteBatch(points []Point) {
	if len(points) == 0 {
		return
	}
	app := w.s.db.AppenderV2(context.Background())
	b := labels.NewScratchBuilder(16)
	for i := range points {
		p := &points[i]
		if p.Ref != 0 {
			// The head finds the series by reference; the labels are only
			// needed if it was dropped since, and then the retry below has them.
			ref, err := app.Append(storage.SeriesRef(p.Ref), labels.EmptyLabels(), 0, p.T, p.V, nil, nil, storage.AppendV2Options{})
			if err == nil {
				p.Ref = uint64(ref)
				continue
			}
		}
		b.Reset()
		b.Add(labels.MetricName, p.Name)
		p.Labels.ls.Range(func(l labels.Label) {
			if l.Name != labels.MetricName && l.Name != p.ExtraName {
				b.Add(l.Name, l.Value)
			}
		})
		if p.ExtraName != "" {
			b.Add(p.ExtraName, p.ExtraValue)
		}
		b.Sort()
		ls := b.Labels()
		// The source series passed validation when it was stored, and the
		// name and extra label are Vigil's own; only the count can grow.
		if ls.Len() > w.s.limits.MaxLabelsPerSeries {
			w.errors.Inc()
			continue
		}
		ref, err := app.Append(0, ls, 0, p.T, p.V, nil, nil, storage.AppendV2Options{})
		if err != nil {
			w.errors.Inc()
			continue
		}
		p.Ref = uint64(ref)
	}
	if err := app.Commit(); err != nil {
		w.errors.Inc()
		w.s.logger.Warn("derived samples commit failed", "err", err)
	}
}
