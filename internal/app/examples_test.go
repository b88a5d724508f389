package app_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/app"
)

// TestExampleWarehouseRuns runs examples/pipelines under Vigil with the
// demo shop: the roots are triggered, the rest follow through their
// after: schedules or by hand in dependency order, and every run of the
// four-deep chain must succeed.
func TestExampleWarehouseRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the example warehouse")
	}
	dir := t.TempDir()
	pipes := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(pipes, 0o750); err != nil {
		t.Fatal(err)
	}
	// The example points at Vigil's default address; this test listens
	// on a free port, so the copy points there instead.
	port := freePort(t)
	src := filepath.Join("..", "..", "examples", "pipelines")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), "127.0.0.1:9750", port))
		if err := os.WriteFile(filepath.Join(pipes, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("storage:\n  data_dir: %s\netl:\n  pipelines_dir: %s\n  demo_shop: true\n",
		filepath.Join(dir, "data"), pipes)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, app.Options{ConfigFile: cfg, Listen: port})
	c := client{base: "http://" + a.Addr()}
	trigger := func(p string) string {
		t.Helper()
		code, body := c.do(t, "POST", "/api/v1/pipelines/"+p+"/trigger", []byte(`{"reason": "example test", "logical_time": "2026-11-24T09:00:00Z"}`), nil)
		if code != 201 {
			t.Fatalf("trigger %s: %d %s", p, code, body)
		}
		return "/api/v1/runs/" + p + "/2026-11-24T09:00:00Z"
	}
	// In dependency order; each waits for the ones before.
	for _, p := range []string{"crm_export", "orders", "payments", "customers", "orders_enriched", "revenue_marts", "daily_report"} {
		v := waitRun(t, c, trigger(p))
		if v.Run.State != "success" {
			t.Fatalf("%s: %+v", p, v)
		}
	}
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
