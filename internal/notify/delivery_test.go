package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/state"
)

// openStore opens a SQLite state store in dir, closed when the test ends.
func openStore(t *testing.T, dir string) *state.Store {
	t.Helper()
	s, err := state.Open(t.Context(), state.Options{DataDir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("open state store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close state store: %v", err)
		}
	})
	return s
}

// countingReceiver is a webhook receiver that counts the notifications it
// accepted and answers with a script of statuses before it succeeds.
type countingReceiver struct {
	mu       sync.Mutex
	accepted map[string]int // By groupKey and status.
	hits     int
	script   []int
}

func newCountingReceiver(t *testing.T, script ...int) (*countingReceiver, *httptest.Server) {
	c := &countingReceiver{accepted: make(map[string]int), script: script}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg WebhookMessage
	if err := jsonDecode(r, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits++
	if len(c.script) > 0 {
		code := c.script[0]
		c.script = c.script[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(code)
		return
	}
	c.accepted[msg.GroupKey+"/"+msg.Status]++
}

func (c *countingReceiver) counts() (hits int, accepted map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	accepted = make(map[string]int, len(c.accepted))
	for k, v := range c.accepted {
		accepted[k] = v
	}
	return c.hits, accepted
}

// newTestDelivery returns a Delivery with one webhook receiver, "hook",
// sending to url.
func newTestDelivery(t *testing.T, store *state.Store, url string, clk clock.Clock, reg prometheus.Registerer, logger *slog.Logger) *Delivery {
	t.Helper()
	hook, err := NewWebhook(WebhookOptions{URL: url, Receiver: "hook"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDelivery(DeliveryOptions{
		Store:       store,
		Receivers:   map[string]Notifier{"hook": hook},
		Clock:       clk,
		Logger:      logger,
		Registerer:  reg,
		SendTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// runOnce runs one delivery pass and returns how many items it handled.
func runOnce(t *testing.T, d *Delivery) int {
	t.Helper()
	n, err := d.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// items returns the outbox items of receiver "hook".
func items(t *testing.T, store *state.Store) []state.Item {
	t.Helper()
	its, err := store.Outbox().List(t.Context(), state.ListFilter{Topic: Topic("hook")})
	if err != nil {
		t.Fatal(err)
	}
	return its
}

func TestDeliveryCrashBetweenDecidedAndSent(t *testing.T) {
	dir := t.TempDir()
	rcv, srv := newCountingReceiver(t)

	// The first process decides and enqueues, then dies before sending.
	store1, err := state.Open(t.Context(), state.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d1 := newTestDelivery(t, store1, srv.URL, nil, nil, nil)
	if err := d1.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := store1.Close(); err != nil {
		t.Fatal(err)
	}
	if hits, _ := rcv.counts(); hits != 0 {
		t.Fatalf("receiver hit %d times before any delivery ran", hits)
	}

	// The restarted process, with a new Delivery, redoes the same decision
	// and runs.
	store2 := openStore(t, dir)
	d2 := newTestDelivery(t, store2, srv.URL, nil, prometheus.NewPedanticRegistry(), nil)
	if err := d2.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatalf("Enqueue after restart: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d2.Run(ctx) }()
	waitFor(t, func() bool {
		its := items(t, store2)
		return len(its) == 1 && its[0].State == state.ItemDone
	})
	time.Sleep(50 * time.Millisecond) // Give a duplicate a chance to show.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	hits, accepted := rcv.counts()
	if hits != 1 || accepted["vigil/inc-1/firing"] != 1 {
		t.Fatalf("receiver hit %d times, accepted %v; want exactly one delivery", hits, accepted)
	}
}

func TestDeliveryEnqueueIsIdempotent(t *testing.T) {
	store := openStore(t, t.TempDir())
	rcv, srv := newCountingReceiver(t)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d := newTestDelivery(t, store, srv.URL, clk, nil, nil)
	other := newTestDelivery(t, store, srv.URL, clk, nil, nil)
	for _, dd := range []*Delivery{d, d, other} {
		if err := dd.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusResolved, 2)); err != nil {
		t.Fatal(err)
	}
	if got := runOnce(t, d); got != 2 {
		t.Fatalf("RunOnce handled %d items, want 2", got)
	}
	if got := runOnce(t, other); got != 0 {
		t.Fatalf("second RunOnce handled %d items, want 0", got)
	}
	hits, accepted := rcv.counts()
	if hits != 2 || accepted["vigil/inc-1/firing"] != 1 || accepted["vigil/inc-1/resolved"] != 1 {
		t.Fatalf("receiver hit %d times, accepted %v; want one firing and one resolved", hits, accepted)
	}
}

func TestDeliveryRetriesTransientFailures(t *testing.T) {
	store := openStore(t, t.TempDir())
	rcv, srv := newCountingReceiver(t, http.StatusInternalServerError, http.StatusTooManyRequests, http.StatusBadGateway)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	reg := prometheus.NewPedanticRegistry()
	d := newTestDelivery(t, store, srv.URL, clk, reg, nil)
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance  time.Duration
		handled  int
		hits     int
		attempts int
		state    state.ItemState
	}{
		{0, 1, 1, 1, state.ItemPending},                      // 500: retry after 1s.
		{999 * time.Millisecond, 0, 1, 1, state.ItemPending}, // Not due yet.
		{time.Millisecond, 1, 2, 2, state.ItemPending},       // 429: Retry-After 30s beats the 2s backoff.
		{29 * time.Second, 0, 2, 2, state.ItemPending},
		{time.Second, 1, 3, 3, state.ItemPending}, // 502: retry after 4s.
		{4 * time.Second, 1, 4, 3, state.ItemDone},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if got := runOnce(t, d); got != s.handled {
			t.Fatalf("step %d: handled %d items, want %d", i, got, s.handled)
		}
		hits, _ := rcv.counts()
		it := items(t, store)[0]
		if hits != s.hits || it.Attempts != s.attempts || it.State != s.state {
			t.Fatalf("step %d: %d hits, item %s after %d failed attempts; want %d, %s, %d (last error %q)",
				i, hits, it.State, it.Attempts, s.hits, s.state, s.attempts, it.LastError)
		}
	}
	if got := testutil.ToFloat64(d.metrics.sent.WithLabelValues("hook")); got != 1 {
		t.Errorf("vigil_notify_sent_total = %v, want 1", got)
	}
	retried := testutil.ToFloat64(d.metrics.retried.WithLabelValues("hook", string(ReasonServerError))) +
		testutil.ToFloat64(d.metrics.retried.WithLabelValues("hook", string(ReasonRateLimited)))
	if retried != 3 {
		t.Errorf("vigil_notify_retried_total = %v, want 3", retried)
	}
	if n, err := testutil.GatherAndCount(reg, "vigil_notify_sent_total", "vigil_notify_retried_total"); err != nil || n != 3 {
		t.Errorf("gathered %d vigil_notify series (err %v), want 3", n, err)
	}
}

func TestDeliveryNeverRetriesPermanentFailures(t *testing.T) {
	store := openStore(t, t.TempDir())
	rcv, srv := newCountingReceiver(t, http.StatusBadRequest)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d := newTestDelivery(t, store, srv.URL, clk, nil, nil)
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d)
	clk.Advance(time.Hour)
	if got := runOnce(t, d); got != 0 {
		t.Fatalf("a dead notification was claimed again: %d items", got)
	}
	hits, _ := rcv.counts()
	it := items(t, store)[0]
	if hits != 1 || it.State != state.ItemDead || !strings.Contains(it.LastError, "400") {
		t.Fatalf("%d hits, item %s with error %q; want 1 hit and a dead item with the 400", hits, it.State, it.LastError)
	}
	if got := testutil.ToFloat64(d.metrics.failed.WithLabelValues("hook", string(ReasonClientError))); got != 1 {
		t.Errorf("vigil_notify_failed_total = %v, want 1", got)
	}
}

func TestDeliveryMaxAttempts(t *testing.T) {
	store := openStore(t, t.TempDir())
	_, srv := newCountingReceiver(t, 500, 500, 500, 500)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	hook, err := NewWebhook(WebhookOptions{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDelivery(DeliveryOptions{Store: store, Receivers: map[string]Notifier{"hook": hook}, Clock: clk, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d)
	clk.Advance(time.Minute)
	runOnce(t, d)
	if it := items(t, store)[0]; it.State != state.ItemDead || it.Attempts != 2 {
		t.Fatalf("item %s after %d attempts, want dead after 2", it.State, it.Attempts)
	}
}

func TestDeliveryDropsSupersededNotifications(t *testing.T) {
	store := openStore(t, t.TempDir())
	rcv, srv := newCountingReceiver(t, http.StatusServiceUnavailable)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d := newTestDelivery(t, store, srv.URL, clk, nil, nil)
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d) // The firing fails and waits 1s.
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusResolved, 2)); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d) // The resolution is sent.
	clk.Advance(time.Second)
	runOnce(t, d) // The firing is due again, but stale.
	hits, accepted := rcv.counts()
	if hits != 2 || accepted["vigil/inc-1/firing"] != 0 || accepted["vigil/inc-1/resolved"] != 1 {
		t.Fatalf("%d hits, accepted %v; want the failed firing and the resolution only", hits, accepted)
	}
	for _, it := range items(t, store) {
		if it.State != state.ItemDone {
			t.Errorf("item %s is %s, want done", it.Key, it.State)
		}
	}
}

func TestDeliveryRunWakesOnEnqueue(t *testing.T) {
	store := openStore(t, t.TempDir())
	rcv, srv := newCountingReceiver(t)
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d := newTestDelivery(t, store, srv.URL, clk, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, func() bool { return clk.Waiters() > 0 }) // Run is idle.
	if err := d.Enqueue(t.Context(), "hook", testNotification(StatusFiring, 1)); err != nil {
		t.Fatal(err)
	}
	// The simulated clock never moves: only the wake-up can send it.
	waitFor(t, func() bool { hits, _ := rcv.counts(); return hits == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestDeliveryRejectsBadInput(t *testing.T) {
	store := openStore(t, t.TempDir())
	_, srv := newCountingReceiver(t)
	d := newTestDelivery(t, store, srv.URL, nil, nil, nil)
	if err := d.Enqueue(t.Context(), "nobody", testNotification(StatusFiring, 1)); err == nil {
		t.Error("Enqueue to an unknown receiver succeeded")
	}
	bad := testNotification(StatusFiring, 1)
	bad.Status = "exploded"
	if err := d.Enqueue(t.Context(), "hook", bad); err == nil {
		t.Error("Enqueue of an invalid notification succeeded")
	}
	if _, err := NewDelivery(DeliveryOptions{Store: store}); err == nil {
		t.Error("NewDelivery without receivers succeeded")
	}
	hook, _ := NewWebhook(WebhookOptions{URL: srv.URL})
	if _, err := NewDelivery(DeliveryOptions{Store: store, Receivers: map[string]Notifier{"hook": hook}, Lease: time.Second, SendTimeout: time.Minute}); err == nil {
		t.Error("NewDelivery with a lease shorter than the send timeout succeeded")
	}
}

// testNoSecretInLogs sends through a Delivery to a receiver that fails
// transiently, then permanently, echoing the request, and checks that the
// secret is in neither the logs nor the outbox.
func testNoSecretInLogs(t *testing.T, nc notifierCase) {
	f, srv := newFakeReceiver(t, nc)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := openStore(t, t.TempDir())
	clk := clock.NewSim(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d, err := NewDelivery(DeliveryOptions{
		Store:     store,
		Receivers: map[string]Notifier{"hook": nc.new(t, srv.URL, testSecret)},
		Clock:     clk,
		Logger:    logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := testNotification(StatusFiring, 1)
	f.expect(n, failWith(http.StatusInternalServerError), failWith(http.StatusUnauthorized))
	if err := d.Enqueue(t.Context(), "hook", n); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d)
	clk.Advance(time.Minute)
	runOnce(t, d)
	it := items(t, store)[0]
	if it.State != state.ItemDead || it.LastError == "" {
		t.Fatalf("item %s with error %q, want dead with an error", it.State, it.LastError)
	}
	checkNoSecret(t, "outbox error", it.LastError)
	if !strings.Contains(logs.String(), "will retry") || !strings.Contains(logs.String(), "for good") {
		t.Fatalf("logs lack the failures: %s", logs.String())
	}
	checkNoSecret(t, "logs", logs.String())
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// jsonDecode decodes a request's JSON body strictly.
func jsonDecode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode webhook message: %w", err)
	}
	return nil
}
