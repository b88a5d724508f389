package series

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
)

func TestAlertingRules(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	now := time.Now()
	if rec := s.post(t, encodeV1(t, series([]string{"__name__", "rows_failed", "pipeline", "orders"},
		prompb.Sample{Timestamp: now.Add(-30 * time.Second).UnixMilli(), Value: 7})), nil); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code, rec.Body)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "etl.rules.yaml")
	if err := os.WriteFile(good, []byte(`groups:
  - name: etl
    interval: 200ms
    rules:
      - alert: RowsFailing
        expr: rows_failed > 5
        labels: {severity: warning}
        annotations:
          summary: "{{ $labels.pipeline }} failed {{ $value }} rows"
      - record: pipeline:rows_failed:sum
        expr: sum by (pipeline) (rows_failed)
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		alerts []RuleAlert
	)
	r := s.NewRules(RulesOptions{Interval: time.Second, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Notify: func(as []RuleAlert) {
			mu.Lock()
			defer mu.Unlock()
			alerts = append(alerts, as...)
		}})
	if err := r.Apply([]string{filepath.Join(dir, "*.yaml")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		var got *RuleAlert
		for i := range alerts {
			if alerts[i].Name == "RowsFailing" && alerts[i].Firing {
				got = &alerts[i]
			}
		}
		mu.Unlock()
		if got != nil {
			if got.Annotations["summary"] != "orders failed 7 rows" || got.Labels["severity"] != "warning" || got.Value != 7 {
				t.Fatalf("alert: %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no firing alert after 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A bad file is refused with its place named, and the rules stay.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: broken\n    rules:\n      - alert: Oops\n        expr: sum(rate(x[5m]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := r.Apply([]string{filepath.Join(dir, "*.yaml")})
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "previous rules stay") {
		t.Fatalf("bad rule file: %v", err)
	}
	if n := len(r.m.RuleGroups()); n != 1 {
		t.Fatalf("%d rule groups in force after a bad reload, want the previous 1", n)
	}
	if got := s.vector(t, "pipeline:rows_failed:sum", time.Now()); got[`{__name__="pipeline:rows_failed:sum", pipeline="orders"}`] != "7" {
		t.Fatalf("recording rule: %v", got)
	}
}
