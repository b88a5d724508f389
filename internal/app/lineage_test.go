package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/lineage"
)

// TestOpenLineageIn accepts events from another orchestrator: its job
// shows up as a pipeline and its runs in the run history.
func TestOpenLineageIn(t *testing.T) {
	a := startApp(t, app.Options{})
	c := client{base: "http://" + a.Addr()}
	const runID = "0176a8c2-fe01-7439-87e6-56a1a1b4029f"
	for _, ev := range []string{
		`{"eventType":"START","eventTime":"2026-11-24T09:00:00Z","run":{"runId":"` + runID + `"},"job":{"namespace":"airflow","name":"sales.load"},"producer":"https://airflow.apache.org","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}`,
		`{"eventType":"FAIL","eventTime":"2026-11-24T09:03:00Z","run":{"runId":"` + runID + `","facets":{"errorMessage":{"_producer":"https://airflow.apache.org","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet","message":"disk full","programmingLanguage":"PYTHON"}}},"job":{"namespace":"airflow","name":"sales.load"},"producer":"https://airflow.apache.org","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}`,
	} {
		if code, body := c.do(t, "POST", "/api/v1/lineage", []byte(ev), map[string]string{"Content-Type": "application/json"}); code/100 != 2 {
			t.Fatalf("POST event: %d %s", code, body)
		}
	}
	if code, body := c.do(t, "POST", "/api/v1/lineage", []byte(`{"eventType":"START","eventTime":"2026-11-24T09:00:00Z","run":{"runId":"nope"},"job":{"namespace":"airflow","name":"x"},"producer":"https://a.example","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}`), map[string]string{"Content-Type": "application/json"}); code != 400 || !strings.Contains(body, "run.runId") {
		t.Fatalf("bad event: %d %s", code, body)
	}
	_, pipes := c.do(t, "GET", "/api/v1/pipelines", nil, nil)
	if !strings.Contains(pipes, `"name":"ol:airflow:sales.load"`) || !strings.Contains(pipes, `"source":"openlineage"`) {
		t.Fatalf("pipelines: %s", pipes)
	}
	code, body := c.do(t, "GET", "/api/v1/runs/ol:airflow:sales.load/"+runID, nil, nil)
	if code != 200 || !strings.Contains(body, `"State":"failed"`) || !strings.Contains(body, "disk full") {
		t.Fatalf("run: %d %s", code, body)
	}
}

// TestOpenLineageOut runs a pipeline with an OpenLineage backend
// configured: it receives the run's START and COMPLETE, valid events.
func TestOpenLineageOut(t *testing.T) {
	var (
		mu     sync.Mutex
		events []lineage.RunEvent
	)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := lineage.Decode(r.Body, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			t.Errorf("Vigil sent an invalid event: %v", err)
			return
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer backend.Close()
	cfg, _ := etlSetup(t, `{connector: csv, settings: {path: orders.csv}}`, 1, "")
	cfgWithOL := strings.Replace(readFile(t, cfg), "etl:\n", "etl:\n  openlineage_url: "+backend.URL+"\n", 1)
	writeFile(t, cfg, cfgWithOL)
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "lineage", "logical_time": "2026-11-24T11:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	if v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T11:00:00Z"); v.Run.State != "success" {
		t.Fatalf("run: %+v", v)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		var kinds []string
		for _, ev := range events {
			if ev.Job.Name == "orders" {
				kinds = append(kinds, string(ev.EventType))
			}
		}
		mu.Unlock()
		joined := strings.Join(kinds, ",")
		if strings.Contains(joined, "START") && strings.Contains(joined, "COMPLETE") {
			break
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(events)
			t.Fatalf("backend got %s for the pipeline run; want START and COMPLETE. All: %s", joined, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
