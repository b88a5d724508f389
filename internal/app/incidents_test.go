package app_test

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// TestAnomalyBecomesIncident remote-writes two days of a daily pattern
// with a spike at the end: the engine flags the spike and the incident
// manager opens an incident, which an operator acknowledges.
func TestAnomalyBecomesIncident(t *testing.T) {
	a := startApp(t, app.Options{})
	c := client{base: "http://" + a.Addr()}
	start := time.Now().Add(-49 * time.Hour).Truncate(time.Minute)
	var samples []remotewrite.Sample
	n := 48 * 60
	for i := range n {
		v := 1000 + 300*math.Sin(float64(i)/(24*60)*2*math.Pi) + float64(i%7)
		if i == n-1 {
			v *= 5
		}
		samples = append(samples, remotewrite.Sample{Value: v, Timestamp: start.Add(time.Duration(i) * time.Minute).UnixMilli()})
	}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "rows_loaded"}, {Name: "pipeline", Value: "orders"}}, samples)
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	var incs []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Alerts []struct {
			Signal struct {
				Kind     string `json:"kind"`
				Subject  string `json:"subject"`
				Evidence string `json:"evidence"`
			} `json:"signal"`
		} `json:"alerts"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if err := json.Unmarshal([]byte(body), &incs); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if len(incs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			_, sigs := c.do(t, "GET", "/api/v1/signals", nil, nil)
			t.Fatalf("no incident after 30s; signals: %s", sigs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, raw := c.do(t, "GET", "/api/v1/incidents/"+incs[0].ID, nil, nil)
	if !strings.Contains(raw, `rows_loaded`) || !strings.Contains(raw, "observed") {
		t.Fatalf("incident without its evidence: %s", raw)
	}
	if code, _ := c.do(t, "POST", "/api/v1/incidents/"+incs[0].ID+"/acknowledge", []byte(`{}`), nil); code != 400 {
		t.Fatalf("acknowledge without a reason: %d", code)
	}
	code, resp := c.do(t, "POST", "/api/v1/incidents/"+incs[0].ID+"/acknowledge", []byte(`{"reason": "looking"}`), nil)
	if code != http.StatusNoContent && !(code == http.StatusConflict && strings.Contains(resp, "resolved")) {
		t.Fatalf("acknowledge: %d %s", code, resp)
	}
	if code, _ := c.do(t, "GET", "/api/v1/incidents/nope", nil, nil); code != 404 {
		t.Fatalf("unknown incident: %d", code)
	}
}

// TestAlertingRuleBecomesIncident loads a Prometheus rule file: its alert
// fires on remote-written data and opens an incident with the rendered
// annotation as evidence.
func TestAlertingRuleBecomesIncident(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/etl.rules.yaml", `groups:
  - name: etl
    interval: 200ms
    rules:
      - alert: RowsFailing
        expr: rows_failed > 5
        annotations:
          summary: "{{ $labels.pipeline }} failed {{ $value }} rows"
`)
	writeFile(t, dir+"/vigil.yaml", "storage:\n  data_dir: "+dir+"/data\nrule_files: [\""+dir+"/*.rules.yaml\"]\n")
	a := startApp(t, app.Options{ConfigFile: dir + "/vigil.yaml"})
	c := client{base: "http://" + a.Addr()}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "rows_failed"}, {Name: "pipeline", Value: "payments"}},
		[]remotewrite.Sample{{Value: 9, Timestamp: time.Now().Add(-10 * time.Second).UnixMilli()}})
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if strings.Contains(incs, "payments failed 9 rows") && strings.Contains(incs, `"kind":"rule"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no incident from the alerting rule: %s", incs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIncidentIsNotified configures a webhook receiver: the incident an
// alerting rule opens reaches it in Alertmanager's webhook format.
func TestIncidentIsNotified(t *testing.T) {
	got := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	dir := t.TempDir()
	writeFile(t, dir+"/etl.rules.yaml", "groups:\n  - name: etl\n    interval: 200ms\n    rules:\n      - alert: RowsFailing\n        expr: rows_failed > 5\n")
	writeFile(t, dir+"/vigil.yaml", "storage:\n  data_dir: "+dir+"/data\nrule_files: [\""+dir+"/*.rules.yaml\"]\n"+
		"notify:\n  receivers:\n    - name: hook\n      min_severity: info\n      webhook: {url: \""+hook.URL+"\"}\n")
	a := startApp(t, app.Options{ConfigFile: dir + "/vigil.yaml"})
	c := client{base: "http://" + a.Addr()}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "rows_failed"}, {Name: "pipeline", Value: "billing"}},
		[]remotewrite.Sample{{Value: 9, Timestamp: time.Now().Add(-5 * time.Second).UnixMilli()}})
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	select {
	case msg := <-got:
		if !strings.Contains(msg, `"version":"4"`) || !strings.Contains(msg, `"status":"firing"`) || !strings.Contains(msg, "billing") {
			t.Fatalf("webhook payload: %s", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no notification within 30s")
	}
}

// TestFailedRunBecomesIncident fails a pipeline run: the runtime's FAIL
// event opens a run_failure incident on the pipeline's lineage node.
func TestFailedRunBecomesIncident(t *testing.T) {
	cfg, _ := etlSetup(t, `{connector: csv, settings: {path: missing.csv}}`, 1, "")
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "test", "logical_time": "2026-11-24T08:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	if v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T08:00:00Z"); v.Run.State != "failed" {
		t.Fatalf("run: %+v", v)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if strings.Contains(incs, `"kind":"run_failure"`) && strings.Contains(incs, `"root_node":"pipeline:orders"`) && strings.Contains(incs, "missing.csv") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run_failure incident: %s", incs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The incident's page ranks its likely causes with their evidence.
	_, body := c.do(t, "GET", "/api/v1/incidents/inc-000001", nil, nil)
	var inc struct {
		ID     string `json:"id"`
		Causes []struct {
			Node     string   `json:"node"`
			Score    float64  `json:"score"`
			Evidence []string `json:"evidence"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(body), &inc); err != nil || inc.ID != "inc-000001" || len(inc.Causes) == 0 ||
		inc.Causes[0].Node != "pipeline:orders" || inc.Causes[0].Score <= 0 || len(inc.Causes[0].Evidence) == 0 {
		t.Fatalf("incident with causes: %v %s", err, body)
	}
}

// TestLateRunBecomesIncident runs a slot hours after its scheduled time:
// the run succeeds but misses its SLA, which opens a lateness incident.
func TestLateRunBecomesIncident(t *testing.T) {
	cfg, _ := etlSetup(t, `{connector: csv, settings: {path: orders.csv}}`, 1, "")
	pipes := strings.TrimSuffix(cfg, "vigil.yaml") + "pipelines/orders.yaml"
	writeFile(t, pipes, strings.Replace(readFile(t, pipes), "catchup: none\n", "catchup: none\nsla: 1m\n", 1))
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "backfill", "logical_time": "2026-11-24T08:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	if v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T08:00:00Z"); v.Run.State != "success" {
		t.Fatalf("run: %+v", v)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if strings.Contains(incs, `"kind":"lateness"`) && strings.Contains(incs, "SLA 1m0s") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lateness incident: %s", incs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStaleDatasetBecomesIncident lets a pipeline's output age past its
// freshness budget: a freshness incident must open on the dataset, and
// clear when the pipeline writes it again.
func TestStaleDatasetBecomesIncident(t *testing.T) {
	cfg, _ := etlSetup(t, `{connector: csv, settings: {path: orders.csv}}`, 1, "  metrics_interval: 200ms\n")
	pipes := strings.TrimSuffix(cfg, "vigil.yaml") + "pipelines/orders.yaml"
	writeFile(t, pipes, strings.Replace(readFile(t, pipes), "catchup: none\n", "catchup: none\nfreshness: 2s\n", 1))
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}
	trigger := func(logical string) {
		t.Helper()
		if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "test", "logical_time": "`+logical+`"}`), nil); code != 201 {
			t.Fatalf("trigger: %d %s", code, body)
		}
		if v := waitRun(t, c, "/api/v1/runs/orders/"+logical); v.Run.State != "success" {
			t.Fatalf("run: %+v", v)
		}
	}
	trigger("2026-11-24T08:00:00Z")
	type incidentList []struct {
		ID     string
		Alerts []struct {
			Kind     string
			Firing   bool
			Evidence string
		}
	}
	find := func() (firing, cleared bool, body string) {
		_, body = c.do(t, "GET", "/api/v1/incidents", nil, nil)
		var l incidentList
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatalf("incidents: %v: %s", err, body)
		}
		for _, inc := range l {
			for _, al := range inc.Alerts {
				if al.Kind == "freshness" && strings.Contains(al.Evidence, "freshness budget 2s") {
					if al.Firing {
						firing = true
					} else {
						cleared = true
					}
				}
			}
		}
		return firing, cleared, body
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		firing, _, body := find()
		if firing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no freshness incident: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every task run was judged by the engine: its metrics have scores.
	if _, body := c.do(t, "GET", "/api/v1/query?query="+url.QueryEscape(`count(vigil_anomaly_score{source_metric="vigil_etl_task_rows_out", pipeline="orders"})`), nil, nil); !strings.Contains(body, `"result":[{"metric":{},"value":[`) {
		t.Fatalf("no anomaly scores of task runs: %s", body)
	}
	trigger("2026-11-24T09:00:00Z")
	deadline = time.Now().Add(20 * time.Second)
	for {
		firing, cleared, body := find()
		if cleared && !firing {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("freshness alert not cleared: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
