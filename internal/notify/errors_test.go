package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
)

func TestRetryAfter(t *testing.T) {
	f := func(value, date string, want time.Duration) {
		t.Helper()
		h := http.Header{}
		if value != "" {
			h.Set("Retry-After", value)
		}
		if date != "" {
			h.Set("Date", date)
		}
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q, Date %q) = %s, want %s", value, date, got, want)
		}
	}
	f("", "", 0)
	f("120", "", 2*time.Minute)
	f("-5", "", 0)
	f("99999999999999", "", 24*time.Hour)
	f("soon", "", 0)
	f("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:27:30 GMT", 30*time.Second)
	f("Wed, 21 Oct 2015 07:28:00 GMT", "", 0)                              // No reference time.
	f("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:29:00 GMT", 0) // In the past.
}

func TestClassify(t *testing.T) {
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
	plain := errors.New("boom")
	if e := Classify(plain); e.Reason != ReasonUnreachable || Permanent(plain) {
		t.Errorf("Classify(plain error) = %v, want a transient error", e)
	}
	wrapped := errors.Join(errors.New("context"), &Error{Reason: ReasonClientError, Err: plain})
	if !Permanent(wrapped) {
		t.Errorf("Permanent(%v) = false, want true", wrapped)
	}
	f := func(code int, want Reason) {
		t.Helper()
		e := statusError(&http.Response{StatusCode: code, Status: http.StatusText(code), Header: http.Header{}}, "")
		if e.Reason != want {
			t.Errorf("status %d classified %s, want %s", code, e.Reason, want)
		}
	}
	f(400, ReasonClientError)
	f(401, ReasonClientError)
	f(404, ReasonClientError)
	f(408, ReasonUnreachable)
	f(429, ReasonRateLimited)
	f(500, ReasonServerError)
	f(503, ReasonServerError)
}

func TestBackoff(t *testing.T) {
	d := &Delivery{minBackoff: time.Second, maxBackoff: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := d.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := d.backoff(1000); got != 10*time.Second {
		t.Errorf("backoff(1000) = %s, want the cap", got)
	}
}

func TestSlackAPIErrors(t *testing.T) {
	f := func(body string, want Reason) {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, body)
		}))
		defer srv.Close()
		s, err := NewSlackAPI(SlackAPIOptions{Token: testSecret, Channel: "C1", Threads: NewMemoryThreadStore(), BaseURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		checkClassified(t, s.Notify(context.Background(), testNotification(StatusFiring, 1)), want, 0)
	}
	f(`{"ok":false,"error":"invalid_auth"}`, ReasonClientError)
	f(`{"ok":false,"error":"channel_not_found"}`, ReasonClientError)
	f(`{"ok":false,"error":"ratelimited"}`, ReasonRateLimited)
	f(`{"ok":false,"error":"internal_error"}`, ReasonServerError)
	f(`<html>garbage `+testSecret+`</html>`, ReasonServerError)
	f(`{"ok":true}`, ReasonServerError) // No channel or ts to thread on.
}

func TestNotifiersRequireTheirSettings(t *testing.T) {
	var secret config.Secret = testSecret
	for name, err := range map[string]error{
		"slack webhook":        second(NewSlackWebhook(SlackWebhookOptions{})),
		"slack api no token":   second(NewSlackAPI(SlackAPIOptions{Channel: "C", Threads: NewMemoryThreadStore()})),
		"slack api no channel": second(NewSlackAPI(SlackAPIOptions{Token: secret, Threads: NewMemoryThreadStore()})),
		"slack api no threads": second(NewSlackAPI(SlackAPIOptions{Token: secret, Channel: "C"})),
		"pagerduty":            second(NewPagerDuty(PagerDutyOptions{})),
		"alertmanager":         second(NewAlertmanager(AlertmanagerOptions{})),
		"webhook":              second(NewWebhook(WebhookOptions{})),
	} {
		if err == nil {
			t.Errorf("%s: constructor accepted missing settings", name)
		}
	}
}

// second returns the error of a constructor.
func second[T any](_ T, err error) error { return err }
