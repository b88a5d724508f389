package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/app"
)

// TestAutomationRetriesAFailedRun fails a run because its source file is
// missing; a policy retries failed runs, under a cool-down. Once the file
// is there, the automatic retry succeeds and the incident's alert clears.
// Every decision is listed, and the retry is in the control log under the
// policy's name.
func TestAutomationRetriesAFailedRun(t *testing.T) {
	cfg, work := etlSetup(t, `{connector: csv, settings: {path: late.csv}}`, 1,
		"remediation:\n  policies:\n    - {name: retry-failed, when: 'incident.kind == \"run_failure\"', action: retry_run, cooldown: 3s, max_per_hour: 100}\n")
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "test", "logical_time": "2026-11-24T08:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	if v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T08:00:00Z"); v.Run.State != "failed" {
		t.Fatalf("run: %+v", v)
	}
	// The file arrives late: the next automatic retry finds it.
	if err := os.WriteFile(filepath.Join(work, "late.csv"), []byte("id,amount\n1,10.5\n2,3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		_, runBody := c.do(t, "GET", "/api/v1/runs/orders/2026-11-24T08:00:00Z", nil, nil)
		_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if strings.Contains(runBody, `"State":"success"`) && strings.Contains(incs, `"kind":"run_failure"`) && !strings.Contains(incs, `"firing":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healed: run %s\nincidents %s", runBody, incs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, audit := c.do(t, "GET", "/api/v1/automation", nil, nil)
	if !strings.Contains(audit, `"policy":"retry-failed"`) || !strings.Contains(audit, `"outcome":"act"`) || !strings.Contains(audit, `"result":"done"`) {
		t.Fatalf("automation log: %s", audit)
	}
	_, controls := c.do(t, "GET", "/api/v1/controls", nil, nil)
	if !strings.Contains(controls, "automation:retry-failed") {
		t.Fatalf("control log: %s", controls)
	}
}
