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

// NewSelfWriter returns a writer into s.
func (s *Store) NewSelfWriter(reg prometheus.Registerer) *SelfWriter {
	w := &SelfWriter{s: s, errors: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "vigil_series_self_write_errors_total",
		Help: "Samples from Vigil's own components that storage refused.",
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
