package forward

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

// backend is an OpenLineage endpoint that answers from a script.
type backend struct {
	mu       sync.Mutex
	answers  []int // Status codes to answer in turn; then 201.
	received []lineage.RunEvent
	auth     []string
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.auth = append(b.auth, r.Header.Get("Authorization"))
	code := http.StatusCreated
	if len(b.answers) > 0 {
		code, b.answers = b.answers[0], b.answers[1:]
	}
	if code == http.StatusCreated {
		ev, err := lineage.Decode(r.Body, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.received = append(b.received, ev)
	} else {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	w.WriteHeader(code)
}

func event(t *testing.T, typ lineage.EventType, at time.Time) lineage.RunEvent {
	t.Helper()
	b, err := lineage.NewBuilder("vigil", "")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := b.PipelineEvent(typ, lineage.PipelineRun{ID: "orders/2026-11-24T09:00:00Z", Pipeline: "orders", LogicalTime: at}, at)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestForwarderDeliversDurably queues events, survives a "crash" (a new
// forwarder on the same store), retries 503s and stops at a 400.
func TestForwarderDeliversDurably(t *testing.T) {
	ctx := context.Background()
	store, err := state.Open(ctx, state.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	be := &backend{answers: []int{503, 400}}
	srv := httptest.NewServer(be)
	defer srv.Close()
	sim := clock.NewSim(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	newForwarder := func() *Forwarder {
		return New(Options{URL: srv.URL, APIKey: "key-0123", Outbox: store.Outbox(), Clock: sim,
			Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
	}
	f := newForwarder()
	start, complete := event(t, lineage.EventStart, sim.Now()), event(t, lineage.EventComplete, sim.Now().Add(time.Minute))
	f.Emit(start)
	f.Emit(start) // The same event twice is queued once.
	f.Emit(complete)

	f = newForwarder() // A restart: the queue is in the store.
	// First pass: START gets 503 (retry later), COMPLETE gets 400 (dropped for good).
	if n, err := f.deliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("first pass: %d, %v", n, err)
	}
	if n, _ := f.deliverDue(ctx); n != 0 {
		t.Fatalf("the retried event came back before its backoff: %d", n)
	}
	sim.Advance(2 * time.Second)
	if n, err := f.deliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the backoff: %d, %v", n, err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.received) != 1 || be.received[0].EventType != lineage.EventStart || be.received[0].Run.RunID != start.Run.RunID {
		t.Fatalf("backend received %+v", be.received)
	}
	want, _ := json.Marshal(start)
	got, _ := json.Marshal(be.received[0])
	if string(want) != string(got) {
		t.Fatalf("event changed in transit:\n got  %s\n want %s", got, want)
	}
	for _, a := range be.auth {
		if a != "Bearer key-0123" {
			t.Fatalf("Authorization %q", a)
		}
	}
	items, err := store.Outbox().List(ctx, state.ListFilter{Topic: Topic})
	if err != nil {
		t.Fatal(err)
	}
	states := map[state.ItemState]int{}
	for _, it := range items {
		states[it.State]++
	}
	if states[state.ItemDone] != 1 || states[state.ItemDead] != 1 || len(items) != 2 {
		t.Fatalf("outbox states %v", states)
	}
}
