package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
)

// testSecret is the credential every notifier under test is given; no
// error or log may contain it.
const testSecret = "s3cr3t-T0KEN-must-not-leak"

// notifierCase describes one notifier to the conformance test.
type notifierCase struct {
	name string
	// new returns the notifier, sending to the server at base with secret
	// as its credential.
	new func(t *testing.T, base, secret string) Notifier
	// check verifies the documented fields of one request the notifier
	// made for n.
	check func(t *testing.T, r *http.Request, body []byte, n Notification)
	// ok answers a request as the receiver does on success.
	ok func(w http.ResponseWriter, r *http.Request)
	// requests is the number of requests a notification makes.
	requests func(n Notification, first bool) int
}

// notifierCases returns every notifier of the package.
func notifierCases() []notifierCase {
	one := func(Notification, bool) int { return 1 }
	return []notifierCase{
		{
			name: "slack_webhook",
			new: func(t *testing.T, base, secret string) Notifier {
				n, err := NewSlackWebhook(SlackWebhookOptions{URL: config.Secret(base + "/services/T000/B000/" + secret)})
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			check: checkSlackWebhook,
			ok: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "ok")
			},
			requests: one,
		},
		{
			name: "slack_api",
			new: func(t *testing.T, base, secret string) Notifier {
				n, err := NewSlackAPI(SlackAPIOptions{
					Token:   config.Secret(secret),
					Channel: "C0INCIDENTS",
					Threads: NewMemoryThreadStore(),
					BaseURL: base + "/api",
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			check: checkSlackAPI,
			ok: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"ok":true,"channel":"C0INCIDENTS","ts":"1700000000.000100"}`)
			},
			requests: func(_ Notification, first bool) int {
				if first {
					return 1
				}
				return 2 // chat.update and a reply in the thread.
			},
		},
		{
			name: "pagerduty",
			new: func(t *testing.T, base, secret string) Notifier {
				n, err := NewPagerDuty(PagerDutyOptions{RoutingKey: config.Secret(secret), URL: base + "/v2/enqueue", Source: "vigil-test"})
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			check: checkPagerDuty,
			ok: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
			},
			requests: one,
		},
		{
			name: "alertmanager",
			new: func(t *testing.T, base, secret string) Notifier {
				n, err := NewAlertmanager(AlertmanagerOptions{URL: base + "/", BearerToken: config.Secret(secret)})
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			check:    checkAlertmanager,
			ok:       func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) },
			requests: one,
		},
		{
			name: "webhook",
			new: func(t *testing.T, base, secret string) Notifier {
				n, err := NewWebhook(WebhookOptions{URL: base + "/hook", Receiver: "team-data", ExternalURL: "http://vigil.example", BearerToken: config.Secret(secret)})
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			check:    checkWebhook,
			ok:       func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) },
			requests: one,
		},
	}
}

// testNotification returns a notification about incident "inc-1".
func testNotification(status Status, seq uint64) Notification {
	n := Notification{
		IncidentID:  "inc-1",
		Key:         "vigil/inc-1",
		Status:      status,
		Severity:    SeverityCritical,
		Title:       "orders pipeline is late",
		Summary:     "The orders pipeline has not completed for 2h; upstream <payments> failed.",
		Labels:      map[string]string{"team": "data", "pipeline": "orders"},
		Annotations: map[string]string{"runbook": "https://runbooks.example/orders"},
		Links:       []Link{{Href: "http://vigil.example/incidents/inc-1", Text: "Incident"}},
		StartsAt:    time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Sequence:    seq,
	}
	if status == StatusResolved {
		n.EndsAt = n.StartsAt.Add(90 * time.Minute)
	}
	return n
}

// fakeReceiver is a receiving side that checks every request and answers
// with a script of failures before it succeeds.
type fakeReceiver struct {
	t  *testing.T
	nc notifierCase

	mu     sync.Mutex
	n      Notification // The notification being sent.
	hits   int
	script []func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFakeReceiver(t *testing.T, nc notifierCase) (*fakeReceiver, *httptest.Server) {
	f := &fakeReceiver{t: t, nc: nc}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read request: %v", err)
		return
	}
	f.mu.Lock()
	f.hits++
	n := f.n
	var step func(http.ResponseWriter, *http.Request, []byte)
	if len(f.script) > 0 {
		step, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		f.t.Errorf("method = %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type = %q, want application/json", ct)
	}
	f.nc.check(f.t, r, body, n)
	if step != nil {
		step(w, r, body)
		return
	}
	f.nc.ok(w, r)
}

// expect sets the notification the next requests are about and the
// answers that precede success.
func (f *fakeReceiver) expect(n Notification, script ...func(http.ResponseWriter, *http.Request, []byte)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.script = n, script
}

func (f *fakeReceiver) hitCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

// failWith answers with status code and echoes the request back, secrets
// included, as a careless receiver might.
func failWith(code int, header ...string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "rejected "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(body))
	}
}

// hang answers only when the client gives up.
func hang(_ http.ResponseWriter, r *http.Request, _ []byte) {
	<-r.Context().Done()
}

// checkNoSecret fails if s contains the test secret.
func checkNoSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testSecret) {
		t.Errorf("%s leaks the secret: %s", what, s)
	}
}

func TestNotifierConformance(t *testing.T) {
	for _, nc := range notifierCases() {
		t.Run(nc.name, func(t *testing.T) {
			t.Run("lifecycle", func(t *testing.T) {
				f, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				want := 0
				for i, st := range []Status{StatusFiring, StatusAcknowledged, StatusResolved} {
					n := testNotification(st, uint64(i+1))
					f.expect(n)
					if err := notifier.Notify(t.Context(), n); err != nil {
						t.Fatalf("Notify(%s) = %v", st, err)
					}
					want += nc.requests(n, i == 0)
					if got := f.hitCount(); got != want {
						t.Fatalf("after %s: %d requests, want %d", st, got, want)
					}
				}
			})
			t.Run("500_then_success", func(t *testing.T) {
				f, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				n := testNotification(StatusFiring, 1)
				f.expect(n, failWith(http.StatusInternalServerError))
				err := notifier.Notify(t.Context(), n)
				checkClassified(t, err, ReasonServerError, 0)
				if err := notifier.Notify(t.Context(), n); err != nil {
					t.Fatalf("second Notify = %v", err)
				}
			})
			t.Run("429_retry_after", func(t *testing.T) {
				f, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				n := testNotification(StatusFiring, 1)
				f.expect(n, failWith(http.StatusTooManyRequests, "Retry-After", "7"))
				checkClassified(t, notifier.Notify(t.Context(), n), ReasonRateLimited, 7*time.Second)
			})
			t.Run("400_permanent", func(t *testing.T) {
				f, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				n := testNotification(StatusFiring, 1)
				f.expect(n, failWith(http.StatusBadRequest))
				checkClassified(t, notifier.Notify(t.Context(), n), ReasonClientError, 0)
			})
			t.Run("timeout", func(t *testing.T) {
				f, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				n := testNotification(StatusFiring, 1)
				f.expect(n, hang)
				ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
				defer cancel()
				err := notifier.Notify(ctx, n)
				checkClassified(t, err, ReasonUnreachable, 0)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Notify = %v, want it to wrap context.DeadlineExceeded", err)
				}
			})
			t.Run("connection_refused", func(t *testing.T) {
				_, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				srv.Close()
				checkClassified(t, notifier.Notify(t.Context(), testNotification(StatusFiring, 1)), ReasonUnreachable, 0)
			})
			t.Run("invalid_notification", func(t *testing.T) {
				_, srv := newFakeReceiver(t, nc)
				notifier := nc.new(t, srv.URL, testSecret)
				n := testNotification(StatusFiring, 1)
				n.Severity = "sev1"
				checkClassified(t, notifier.Notify(t.Context(), n), ReasonInvalid, 0)
			})
			t.Run("no_secret_in_logs", func(t *testing.T) {
				testNoSecretInLogs(t, nc)
			})
		})
	}
}

// checkClassified fails unless err is an *Error with the given reason and
// Retry-After, whose message holds no secret.
func checkClassified(t *testing.T, err error, reason Reason, retryAfter time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("Notify = nil, want a %s error", reason)
	}
	checkNoSecret(t, "error", err.Error())
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Notify = %v (%T), want an *Error", err, err)
	}
	if e.Reason != reason || e.RetryAfter != retryAfter {
		t.Errorf("Notify = %v: reason %s, retry after %s; want %s, %s", err, e.Reason, e.RetryAfter, reason, retryAfter)
	}
	if got, want := Permanent(err), reason.Permanent(); got != want {
		t.Errorf("Permanent(%v) = %v, want %v", err, got, want)
	}
}

// decodeObject decodes body as a JSON object.
func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Errorf("request body is not a JSON object: %v: %s", err, body)
	}
	return m
}

// checkKeys fails unless obj has every required key and no key outside
// required and optional.
func checkKeys(t *testing.T, what string, obj map[string]any, required, optional []string) {
	t.Helper()
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s lacks %q: %v", what, k, obj)
		}
	}
	for k := range obj {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			t.Errorf("%s has undocumented field %q", what, k)
		}
	}
}
