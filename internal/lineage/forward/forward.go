// Package forward delivers Vigil's OpenLineage RunEvents to an external
// OpenLineage HTTP endpoint (Marquez, DataHub, a collector). Events go
// through the state store's durable outbox first, so a crash or an outage
// of the backend loses none, and a retried delivery carries the same event:
// OpenLineage backends deduplicate by run ID and event type.
package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

// Topic is the outbox topic of events waiting for delivery.
const Topic = "openlineage"

// Options configure a Forwarder.
type Options struct {
	// URL is the endpoint events are POSTed to, e.g.
	// http://marquez:5000/api/v1/lineage.
	URL string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	Outbox state.Outbox
	Clock  clock.Clock
	Client *http.Client
	Logger *slog.Logger
	// Registerer receives vigil_lineage_forwarded_total{result}.
	Registerer prometheus.Registerer
	// PollEvery is how often the outbox is checked; zero means 1s.
	PollEvery time.Duration
}

// Forwarder queues and delivers events.
type Forwarder struct {
	opts  Options
	owner string
	sent  *prometheus.CounterVec
}

// New returns a forwarder; call Run to deliver.
func New(opts Options) *Forwarder {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = time.Second
	}
	f := &Forwarder{opts: opts, owner: "lineage-forwarder", sent: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_lineage_forwarded_total",
		Help: "OpenLineage events by delivery result: queued, delivered, retried, failed (permanently), dropped (not queued).",
	}, []string{"result"})}
	for _, r := range []string{"queued", "delivered", "retried", "failed", "dropped"} {
		f.sent.WithLabelValues(r)
	}
	opts.Registerer.MustRegister(f.sent)
	return f
}

// Emit queues ev durably. It is the bus subscriber; a failure to queue is
// logged and counted, never returned, because lineage must not stop runs.
func (f *Forwarder) Emit(ev lineage.RunEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		f.sent.WithLabelValues("dropped").Inc()
		f.opts.Logger.Error("encode OpenLineage event", "err", err)
		return
	}
	key := ev.Run.RunID + "/" + string(ev.EventType) + "/" + ev.EventTime.UTC().Format(time.RFC3339Nano)
	if _, _, err := f.opts.Outbox.Enqueue(context.Background(), state.Item{Topic: Topic, Key: key, Payload: b, NotBefore: f.opts.Clock.Now()}); err != nil {
		f.sent.WithLabelValues("dropped").Inc()
		f.opts.Logger.Error("queue OpenLineage event", "err", err)
		return
	}
	f.sent.WithLabelValues("queued").Inc()
}

// Run delivers queued events until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	for {
		n, err := f.deliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			f.opts.Logger.Warn("deliver OpenLineage events", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.opts.Clock.After(f.opts.PollEvery):
		}
	}
}

// deliverDue claims and sends a batch of due events, returning how many.
func (f *Forwarder) deliverDue(ctx context.Context) (int, error) {
	items, err := f.opts.Outbox.Claim(ctx, Topic, f.owner, 32, time.Minute, f.opts.Clock.Now())
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		code, retryAfter, err := f.post(ctx, it.Payload)
		switch {
		case err == nil:
			err = f.opts.Outbox.Complete(ctx, it.ID, f.owner)
			f.sent.WithLabelValues("delivered").Inc()
		case transient(code):
			wait := max(retryAfter, backoff(it.Attempts))
			err = f.opts.Outbox.Retry(ctx, it.ID, f.owner, f.opts.Clock.Now().Add(wait), err.Error())
			f.sent.WithLabelValues("retried").Inc()
		default:
			f.opts.Logger.Error("OpenLineage backend refused an event; it will not be retried", "err", err)
			err = f.opts.Outbox.Fail(ctx, it.ID, f.owner, err.Error())
			f.sent.WithLabelValues("failed").Inc()
		}
		if err != nil {
			return len(items), err
		}
	}
	return len(items), nil
}

// transient reports whether a delivery that ended with code is worth
// retrying: no answer at all, 408, 429 and 5xx.
func transient(code int) bool {
	return code == 0 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// backoff doubles from 1s up to 5 minutes.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 9)
	return min(d, 5*time.Minute)
}

func (f *Forwarder) post(ctx context.Context, payload []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.opts.URL, bytes.NewReader(payload))
	if err != nil {
		return -1, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if f.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+f.opts.APIKey)
	}
	resp, err := f.opts.Client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("post OpenLineage event: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, 0, nil
	}
	var retryAfter time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return resp.StatusCode, retryAfter, fmt.Errorf("post OpenLineage event: %s: %s", resp.Status, bytes.TrimSpace(body))
}
