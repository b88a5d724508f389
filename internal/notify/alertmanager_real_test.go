package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/testenv"
)

// TestAlertmanagerInterop pushes an incident to a real Alertmanager through
// the Alertmanager notifier and receives it back through Alertmanager's
// webhook, decoded with the types of Vigil's own webhook format: firing,
// then resolved.
func TestAlertmanagerInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an Alertmanager; skipped in -short mode")
	}
	bin := testenv.RequireBinary(t, "prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")

	received := make(chan WebhookMessage, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg WebhookMessage
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&msg); err != nil {
			t.Errorf("decode Alertmanager's webhook as a WebhookMessage: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		received <- msg
	}))
	defer hook.Close()

	amURL := startAlertmanager(t, bin, hook.URL+"/hook")
	am, err := NewAlertmanager(AlertmanagerOptions{URL: amURL})
	if err != nil {
		t.Fatal(err)
	}

	n := testNotification(StatusFiring, 1)
	n.StartsAt = time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	if err := am.Notify(t.Context(), n); err != nil {
		t.Fatalf("push firing alert: %v", err)
	}
	msg := receiveWebhook(t, received, "firing")
	if msg.Version != WebhookVersion || msg.Receiver != "vigil-hook" || len(msg.Alerts) != 1 {
		t.Fatalf("webhook = %+v, want version 4 from receiver vigil-hook with one alert", msg)
	}
	a := msg.Alerts[0]
	wantLabels := map[string]string{
		"alertname": n.Title, "severity": "critical", "incident": "inc-1", "team": "data", "pipeline": "orders",
	}
	for k, v := range wantLabels {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}
	if a.Annotations["summary"] != n.Summary || a.Annotations["runbook"] != n.Annotations["runbook"] {
		t.Errorf("annotations = %v, want the summary and runbook", a.Annotations)
	}
	if !a.StartsAt.Equal(n.StartsAt) || a.GeneratorURL != n.Links[0].Href {
		t.Errorf("startsAt, generatorURL = %s, %s; want %s, %s", a.StartsAt, a.GeneratorURL, n.StartsAt, n.Links[0].Href)
	}

	r := testNotification(StatusResolved, 2)
	r.StartsAt = n.StartsAt
	r.EndsAt = time.Now().UTC().Truncate(time.Second)
	if err := am.Notify(t.Context(), r); err != nil {
		t.Fatalf("push resolved alert: %v", err)
	}
	msg = receiveWebhook(t, received, "resolved")
	if got := msg.Alerts[0]; !got.EndsAt.Equal(r.EndsAt) || got.Fingerprint != a.Fingerprint {
		t.Errorf("resolved alert ends %s with fingerprint %s, want %s and the firing alert's %s", got.EndsAt, got.Fingerprint, r.EndsAt, a.Fingerprint)
	}
}

// receiveWebhook waits for a webhook message with the given status.
func receiveWebhook(t *testing.T, received <-chan WebhookMessage, status string) WebhookMessage {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case msg := <-received:
			if msg.Status == status {
				return msg
			}
		case <-timeout:
			t.Fatalf("no %s webhook from Alertmanager within 30s", status)
		}
	}
}

// startAlertmanager runs an Alertmanager on a free loopback port, with one
// webhook receiver sending to hookURL, and returns its URL once it is
// ready. It is stopped when the test ends.
func startAlertmanager(t *testing.T, bin, hookURL string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: vigil-hook
  group_by: [incident]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: vigil-hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, hookURL)
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start alertmanager: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
