package app_test

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/series"
	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// TestGrafanaDashboards loads every dashboard in deploy/grafana and checks
// that each panel's query parses and returns data from a running Vigil
// that runs a pipeline, judges a remote-written series, forecasts, and
// scrapes its own /metrics, as a deployment with Grafana would.
func TestGrafanaDashboards(t *testing.T) {
	files, err := filepath.Glob("../../deploy/grafana/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("dashboards: %v, %v", files, err)
	}
	type target struct{ file, panel, expr string }
	var targets []target
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil || d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
			t.Fatalf("%s: %v (uid %q, %d panels)", f, err, d.UID, len(d.Panels))
		}
		for _, p := range d.Panels {
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", f, p.Title)
			}
			for _, tg := range p.Targets {
				if err := series.CheckExpr(tg.Expr); err != nil {
					t.Errorf("%s: panel %q: %q: %v", f, p.Title, tg.Expr, err)
				}
				targets = append(targets, target{filepath.Base(f), p.Title, tg.Expr})
			}
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, _ := etlSetup(t, `{connector: csv, settings: {path: orders.csv}}`, 1,
		"  metrics_interval: 200ms\nengine:\n  forecast:\n    interval: 300ms\n    step: 1m\n    history: 1h\n    horizon: 30m\n"+
			"    targets:\n      - query: vigil_etl_queued_tasks\n      - query: disk_free_gb\n        limit: 0\n"+
			"scrape_configs:\n  - job_name: vigil\n    scrape_interval: 1s\n    static_configs: [{targets: [\""+addr+"\"]}]\n")
	a := startApp(t, app.Options{ConfigFile: cfg, Listen: addr})
	c := client{base: "http://" + a.Addr()}
	now := time.Now().Truncate(time.Minute)
	var samples []remotewrite.Sample
	for i := 50; i >= 0; i-- {
		samples = append(samples, remotewrite.Sample{Value: float64(10 + i), Timestamp: now.Add(-time.Duration(i) * time.Minute).UnixMilli()})
	}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "disk_free_gb"}, {Name: "host", Value: "db1"}}, samples)
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	for _, logical := range []string{"2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z"} {
		if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "dashboards", "logical_time": "`+logical+`"}`), nil); code != 201 {
			t.Fatalf("trigger: %d %s", code, body)
		}
		if v := waitRun(t, c, "/api/v1/runs/orders/"+logical); v.Run.State != "success" {
			t.Fatalf("run: %+v", v)
		}
	}
	// Every query must return something, over the last hour and the
	// next (forecasts lie ahead), within a few scrapes.
	var empty []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		empty = empty[:0]
		end := time.Now().Add(time.Hour)
		for _, tg := range targets {
			q := url.Values{"query": {tg.expr}, "start": {unix(end.Add(-2 * time.Hour))}, "end": {unix(end)}, "step": {"60"}}
			_, body := c.do(t, "GET", "/api/v1/query_range?"+q.Encode(), nil, nil)
			var r struct {
				Status string `json:"status"`
				Data   struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Status != "success" || len(r.Data.Result) == 0 {
				empty = append(empty, tg.file+": "+tg.panel+": "+tg.expr)
			}
		}
		if len(empty) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(empty)
			t.Fatalf("%d of %d panel queries return no data:\n%s", len(empty), len(targets), strings.Join(empty, "\n"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func unix(t time.Time) string { return t.UTC().Format(time.RFC3339) }
