package state

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func testOutboxItemsMetric(t *testing.T, s *Store) {
	const topic = "metric"
	ctx := t.Context()
	o := s.Outbox()
	for i := range 4 {
		enqueue(t, o, topic, fmt.Sprint("k", i), t0)
	}
	items := claim(t, o, topic, "w", 3, time.Minute, t0, "k0", "k1", "k2")
	if err := o.Complete(ctx, items[0].ID, "w"); err != nil {
		t.Fatal(err)
	}
	if err := o.Fail(ctx, items[1].ID, "w", "boom"); err != nil {
		t.Fatal(err)
	}

	got := outboxItemsByState(t, s, topic)
	want := map[string]float64{"pending": 1, "claimed": 1, "done": 1, "dead": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("vigil_state_outbox_items{topic=%q} = %v, want %v", topic, got, want)
	}
	problems, err := testutil.CollectAndLint(newOutboxCollector(s))
	if err != nil || len(problems) > 0 {
		t.Errorf("lint vigil_state_outbox_items: %v %v", problems, err)
	}
}

// outboxItemsByState gathers vigil_state_outbox_items for topic through a
// pedantic registry, which also checks the metrics' consistency.
func outboxItemsByState(t *testing.T, s *Store, topic string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newOutboxCollector(s))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := make(map[string]float64)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := make(map[string]string)
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["topic"] == topic {
				got[labels["state"]] = m.GetGauge().GetValue()
			}
		}
	}
	return got
}

// snapshotOperationErrors returns vigil_state_operation_errors_total as text.
func snapshotOperationErrors(s *Store) string {
	var out string
	for _, op := range operations() {
		out += fmt.Sprintf("%s=%v ", op, testutil.ToFloat64(s.metrics.operationErrors.WithLabelValues(op)))
	}
	return out
}

func testOperationErrorsMetric(t *testing.T, s *Store) {
	counter := s.metrics.operationErrors.WithLabelValues(opMetaGet)
	before := testutil.ToFloat64(counter)

	if _, err := s.Meta().Get(t.Context(), "metric/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an absent key: err = %v, want ErrNotFound", err)
	}
	if got := testutil.ToFloat64(counter); got != before {
		t.Fatalf("ErrNotFound counted as an operation error: %v, want %v", got, before)
	}

	// A deadline that has passed makes the operation fail like a database
	// that does not answer in time.
	ctx, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel()
	if _, err := s.Meta().Get(ctx, "metric/absent"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get with an expired deadline: err = %v, want DeadlineExceeded", err)
	}
	if got := testutil.ToFloat64(counter); got != before+1 {
		t.Fatalf("vigil_state_operation_errors_total{operation=%q} = %v, want %v", opMetaGet, got, before+1)
	}
}
