package series

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// ErrInvalidSeries is wrapped by every rejection of a series' labels, so
// receivers can answer 400 instead of 500.
var ErrInvalidSeries = errors.New("invalid series")

// Limits bound what one series may look like.
type Limits struct {
	MaxLabelNameLength  int
	MaxLabelValueLength int
	MaxLabelsPerSeries  int
	// UTF8Names allows any UTF-8 label name, as Prometheus 3 does; otherwise
	// names must match [a-zA-Z_][a-zA-Z0-9_]*.
	UTF8Names bool
}

// validate checks a label set before it can create a series.
func (l Limits) validate(ls labels.Labels) error {
	if ls.Len() > l.MaxLabelsPerSeries {
		return fmt.Errorf("%w: %d labels, more than the limit of %d", ErrInvalidSeries, ls.Len(), l.MaxLabelsPerSeries)
	}
	if ls.Get(labels.MetricName) == "" {
		return fmt.Errorf("%w: no metric name (__name__) in %s", ErrInvalidSeries, abbreviate(ls))
	}
	scheme := model.LegacyValidation
	if l.UTF8Names {
		scheme = model.UTF8Validation
	}
	var err error
	prev := ""
	ls.Range(func(lb labels.Label) {
		switch {
		case err != nil:
		case lb.Name == prev:
			err = fmt.Errorf("%w: label name %q appears twice", ErrInvalidSeries, lb.Name)
		case len(lb.Name) > l.MaxLabelNameLength:
			err = fmt.Errorf("%w: label name of %d bytes, longer than the limit of %d", ErrInvalidSeries, len(lb.Name), l.MaxLabelNameLength)
		case !scheme.IsValidLabelName(lb.Name):
			err = fmt.Errorf("%w: invalid label name %q", ErrInvalidSeries, truncate(lb.Name, 64))
		case len(lb.Value) > l.MaxLabelValueLength:
			err = fmt.Errorf("%w: value of label %q is %d bytes, longer than the limit of %d", ErrInvalidSeries, lb.Name, len(lb.Value), l.MaxLabelValueLength)
		case !utf8.ValidString(lb.Value):
			err = fmt.Errorf("%w: value of label %q is not valid UTF-8", ErrInvalidSeries, lb.Name)
		case lb.Name == labels.MetricName && !scheme.IsValidMetricName(lb.Value):
			err = fmt.Errorf("%w: invalid metric name %q", ErrInvalidSeries, truncate(lb.Value, 64))
		}
		prev = lb.Name
	})
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// abbreviate prints a label set that may be huge (a 10 MB value) without
// putting all of it into an error message or a log line.
func abbreviate(ls labels.Labels) string { return truncate(ls.String(), 256) }

// appender validates new series, writes to the TSDB and, once committed,
// hands the float samples to the fan-out.
type appender struct {
	next    storage.AppenderV2
	limits  Limits
	valid   *validSet
	fan     *fanout
	pending []Sample
	m       *storeMetrics
}

var _ storage.AppenderV2 = (*appender)(nil)

// Appender returns an appender that must be finished with Commit or
// Rollback. Every receiver and every Vigil component writes through it, so
// the fan-out sees each accepted sample exactly once.
func (s *Store) Appender(ctx context.Context) storage.AppenderV2 {
	return &appender{next: s.db.AppenderV2(ctx), limits: s.limits, valid: s.valid, fan: s.fan, m: s.m}
}

// AppenderV2 makes Store a storage.AppendableV2 for the scrape manager.
func (s *Store) AppenderV2(ctx context.Context) storage.AppenderV2 { return s.Appender(ctx) }

func (a *appender) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	if ref == 0 && !a.valid.seen(ls) {
		if err := a.limits.validate(ls); err != nil {
			return 0, err
		}
		a.valid.add(ls)
	}
	ref, err := a.next.Append(ref, ls, st, t, v, h, fh, opts)
	if err != nil && !errors.Is(err, (*storage.AppendPartialError)(nil)) {
		return ref, err
	}
	if h == nil && fh == nil && a.fan.active() {
		a.pending = append(a.pending, Sample{Ref: uint64(ref), Labels: Labels{ls}, T: t, V: v})
	}
	return ref, err
}

// AppendExemplars forwards to the TSDB when it supports exemplars.
func (a *appender) AppendExemplars(ref storage.SeriesRef, ls labels.Labels, es []exemplar.Exemplar) (storage.SeriesRef, error) {
	if ea, ok := a.next.(storage.ExemplarAppenderV2); ok {
		return ea.AppendExemplars(ref, ls, es)
	}
	return ref, nil
}

func (a *appender) Commit() error {
	if err := a.next.Commit(); err != nil {
		a.m.commitErrors.Inc()
		return fmt.Errorf("commit samples: %w", err)
	}
	a.fan.publish(a.pending)
	a.pending = nil
	return nil
}

func (a *appender) Rollback() error {
	a.pending = nil
	return a.next.Rollback()
}

// validSet remembers label sets that passed validation, so that senders
// which repeat their series in every request (remote write sends labels,
// not references) pay for validation once per series. It is bounded: when
// a shard fills up it starts over. A label set is known by its hash and
// its encoded length, so a collision would need both to match.
type validSet struct {
	shards [16]struct {
		mu sync.Mutex
		m  map[uint64]uint64
	}
	max int // Entries per shard.
}

func newValidSet(maxEntries int) *validSet {
	v := &validSet{max: max(maxEntries/16, 1)}
	for i := range v.shards {
		v.shards[i].m = map[uint64]uint64{}
	}
	return v
}

func (v *validSet) seen(ls labels.Labels) bool {
	h := ls.Hash()
	sh := &v.shards[h%16]
	sh.mu.Lock()
	n, ok := sh.m[h]
	sh.mu.Unlock()
	return ok && n == ls.ByteSize()
}

func (v *validSet) add(ls labels.Labels) {
	h := ls.Hash()
	sh := &v.shards[h%16]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m) >= v.max {
		clear(sh.m)
	}
	sh.m[h] = ls.ByteSize()
}
