package otlp

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
)

// recorded is one Append call.
type recorded struct {
	ls    labels.Labels
	st, t int64
	v     float64
	h     *histogram.Histogram
	fh    *histogram.FloatHistogram
	opts  storage.AOptions
}

// String renders the sample compactly for comparisons:
// labels, st (when set), t, and the value or histogram, then exemplars.
func (r recorded) String() string {
	var b strings.Builder
	b.WriteString(r.ls.String())
	if r.st != 0 {
		fmt.Fprintf(&b, " st=%d", r.st)
	}
	fmt.Fprintf(&b, " t=%d ", r.t)
	switch {
	case r.h != nil && value.IsStaleNaN(r.h.Sum):
		b.WriteString("h=stale")
	case r.h != nil:
		fmt.Fprintf(&b, "h=schema:%d zt:%g %s", r.h.Schema, r.h.ZeroThreshold, r.h.String())
	case r.fh != nil:
		fmt.Fprintf(&b, "fh=%s", r.fh.String())
	default:
		b.WriteString(formatFloat(r.v))
	}
	for _, e := range r.opts.Exemplars {
		fmt.Fprintf(&b, " ex=%s:%s@%d", e.Labels.String(), formatFloat(e.Value), e.Ts)
	}
	return b.String()
}

func formatFloat(v float64) string {
	switch {
	case value.IsStaleNaN(v):
		return "stale"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// store is an in-memory storage.AppendableV2 that keeps committed samples,
// in Append order, and can be told to fail.
type store struct {
	mu        sync.Mutex
	committed []recorded
	commits   int
	rollbacks int

	// appendErr, if set, is consulted on every Append.
	appendErr func(ls labels.Labels) error
	// commitErr, if set, fails every Commit.
	commitErr error
}

func (s *store) AppenderV2(context.Context) storage.AppenderV2 {
	return &recorder{store: s}
}

func (s *store) samples() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.committed)
}

// recorder is a storage.AppenderV2 that records every Append call.
type recorder struct {
	store   *store
	pending []recorded
	done    bool
}

func (r *recorder) Append(_ storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AOptions) (storage.SeriesRef, error) {
	if r.done {
		panic("append after commit or rollback")
	}
	if r.store != nil && r.store.appendErr != nil {
		if err := r.store.appendErr(ls); err != nil {
			return 0, err
		}
	}
	// The exemplar slice is the caller's to reuse; copy it.
	opts.Exemplars = slices.Clone(opts.Exemplars)
	r.pending = append(r.pending, recorded{ls: ls, st: st, t: t, v: v, h: h, fh: fh, opts: opts})
	return storage.SeriesRef(len(r.pending)), nil
}

func (r *recorder) Commit() error {
	if r.done {
		panic("commit after commit or rollback")
	}
	r.done = true
	if r.store == nil {
		return nil
	}
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	r.store.commits++
	if r.store.commitErr != nil {
		return r.store.commitErr
	}
	r.store.committed = append(r.store.committed, r.pending...)
	return nil
}

func (r *recorder) Rollback() error {
	if r.done {
		panic("rollback after commit or rollback")
	}
	r.done = true
	if r.store != nil {
		r.store.mu.Lock()
		r.store.rollbacks++
		r.store.mu.Unlock()
	}
	return nil
}

// sampleStrings renders samples with recorded.String.
func sampleStrings(rs []recorded) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// discard is an AppenderV2 that keeps nothing, for benchmarks.
type discard struct{}

func (discard) Append(storage.SeriesRef, labels.Labels, int64, int64, float64, *histogram.Histogram, *histogram.FloatHistogram, storage.AOptions) (storage.SeriesRef, error) {
	return 0, nil
}
func (discard) Commit() error   { return nil }
func (discard) Rollback() error { return nil }

// Static checks that the test doubles implement the interfaces.
var (
	_ storage.AppendableV2 = (*store)(nil)
	_ storage.AppenderV2   = (*recorder)(nil)
	_ storage.AppenderV2   = discard{}
)
