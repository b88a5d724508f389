package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // To read the warehouse the pipeline wrote.

	"github.com/vigil-aiops/vigil/internal/app"
)

const ordersPipeline = `name: orders
owner: data@example.org
team: commerce
schedule: {interval: 1h}
catchup: none
tasks:
  - name: load_orders
    kind: extract
    inputs: [shop.orders]
    source: %s
    transform:
      - filter: "row.amount > 0.0"
    sink: {connector: sqlite, settings: {path: warehouse.db, table: orders, mode: append}}
    outputs: [warehouse.orders]
    timeout: 1m
    retries: {count: 2, backoff: 1s, transient: [connection, http_5xx, timeout]}
  - name: check_orders
    kind: check
    inputs: [warehouse.orders]
    source: {connector: sqlite, settings: {path: warehouse.db, query: "SELECT * FROM orders"}}
    assert: ["rows > 0", "nulls.id == 0"]
`

// etlSetup writes a config with one pipeline whose source is given.
func etlSetup(t *testing.T, source string, agents int, extra string) (configFile, workDir string) {
	t.Helper()
	dir := t.TempDir()
	pipes, work := filepath.Join(dir, "pipelines"), filepath.Join(dir, "work")
	for _, d := range []string{pipes, work} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(pipes, "orders.yaml"): fmt.Sprintf(ordersPipeline, source),
		filepath.Join(pipes, "_fleet.yaml"): "external: [shop.orders]\n",
		filepath.Join(work, "orders.csv"):   "id,amount\n1,10.5\n2,-1\n3,7\n4,2.25\n",
		filepath.Join(dir, "vigil.yaml"): fmt.Sprintf("storage:\n  data_dir: %s\netl:\n  pipelines_dir: %s\n  work_dir: %s\n  agents: %d\n  lease: 2s\n  agent_timeout: 4s\n%s",
			filepath.Join(dir, "data"), pipes, work, agents, extra),
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "vigil.yaml"), work
}

type runView struct {
	Run struct {
		ID    string
		State string
		Error string
	} `json:"run"`
	Tasks []struct {
		Task    string
		State   string
		Attempt int
		RowsIn  int64
		RowsOut int64
		Error   string
	} `json:"tasks"`
}

// waitRun polls the run until it ends.
func waitRun(t *testing.T, c client, path string) runView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := c.do(t, "GET", path, nil, nil)
		var v runView
		if code == 200 {
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if v.Run.State == "success" || v.Run.State == "failed" || v.Run.State == "cancelled" {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not end in 60s: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countRows(t *testing.T, db string) int {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPipelineRunsUnderServe(t *testing.T) {
	cfg, work := etlSetup(t, `{connector: csv, settings: {path: orders.csv}}`, 1, "")
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr()}

	code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "backfill for the test", "logical_time": "2026-11-24T09:00:00Z"}`), nil)
	if code != 201 || !strings.Contains(body, `"run_id":"orders/2026-11-24T09:00:00Z"`) {
		t.Fatalf("trigger: %d %s", code, body)
	}
	v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T09:00:00Z")
	if v.Run.State != "success" || len(v.Tasks) != 2 || v.Tasks[0].RowsIn != 4 || v.Tasks[0].RowsOut != 3 {
		t.Fatalf("run: %+v", v)
	}
	if n := countRows(t, filepath.Join(work, "warehouse.db")); n != 3 {
		t.Fatalf("warehouse has %d orders, want 3", n)
	}
	// The same slot again is refused; a reason is required.
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "again", "logical_time": "2026-11-24T09:00:00Z"}`), nil); code != 409 {
		t.Fatalf("second trigger of one slot: %d %s", code, body)
	}
	if code, _ := c.do(t, "POST", "/api/v1/pipelines/orders/pause", []byte(`{}`), nil); code != 400 {
		t.Fatalf("pause without a reason: %d", code)
	}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/nope/pause", []byte(`{"reason": "x"}`), nil); code != 404 {
		t.Fatalf("unknown pipeline: %d %s", code, body)
	}
	_, controls := c.do(t, "GET", "/api/v1/controls", nil, nil)
	if !strings.Contains(controls, `"Actor":"anonymous"`) || !strings.Contains(controls, "backfill for the test") {
		t.Fatalf("control action not recorded with who and why: %s", controls)
	}
	_, logs := c.do(t, "GET", "/api/v1/runs/orders/2026-11-24T09:00:00Z/logs?task=load_orders", nil, nil)
	if !strings.Contains(logs, "3 rows out") {
		t.Fatalf("task log: %s", logs)
	}
	// Run metrics are series like any other.
	deadline := time.Now().Add(10 * time.Second)
	for len(c.query(t, `vigil_etl_task_rows_out{pipeline="orders", task="load_orders"}`, time.Now())) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no vigil_etl_task_rows_out series after the run")
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, pipes := c.do(t, "GET", "/api/v1/pipelines", nil, nil)
	if !strings.Contains(pipes, `"name":"orders"`) {
		t.Fatalf("pipelines: %s", pipes)
	}
}

// TestRemoteAgentKilledMidTask runs tasks on remote agents only: the first
// agent is killed with SIGKILL while its task waits on a slow source, the
// lease lapses, a second agent takes the task over, and the warehouse ends
// up with each row once.
func TestRemoteAgentKilledMidTask(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs agents as processes")
	}
	var calls atomic.Int32
	slowFirst := make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			close(slowFirst)
			select { // Hang until the client goes away.
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data": [{"id": 1, "amount": 10.5}, {"id": 2, "amount": -1}, {"id": 3, "amount": 7}]}`)
	}))
	defer src.Close()
	cfg, work := etlSetup(t, fmt.Sprintf(`{connector: http, settings: {url: %q, records: data}}`, src.URL), 0,
		"auth:\n  tokens:\n    - {name: agents, role: operator, token: agent-token-0123456789}\n")
	a := startApp(t, app.Options{ConfigFile: cfg})
	c := client{base: "http://" + a.Addr(), token: "agent-token-0123456789"}

	first := startAgent(t, "http://"+a.Addr(), "agent-1", work)
	if code, body := c.do(t, "POST", "/api/v1/pipelines/orders/trigger", []byte(`{"reason": "test", "logical_time": "2026-11-24T10:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	select {
	case <-slowFirst:
	case <-time.After(30 * time.Second):
		t.Fatal("the first agent never started the task")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	startAgent(t, "http://"+a.Addr(), "agent-2", work)

	v := waitRun(t, c, "/api/v1/runs/orders/2026-11-24T10:00:00Z")
	if v.Run.State != "success" || v.Tasks[0].Attempt < 2 {
		t.Fatalf("run after the agent died: %+v", v)
	}
	if n := countRows(t, filepath.Join(work, "warehouse.db")); n != 2 {
		t.Fatalf("warehouse has %d orders, want 2 (each row once)", n)
	}
}

// startAgent runs `vigil agent` as a process (this test binary in agent mode).
func startAgent(t *testing.T, controller, id, workDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), agentEnv+"="+strings.Join([]string{controller, id, workDir}, "\x1f"), "VIGIL_AGENT_TOKEN=agent-token-0123456789")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("agent %s log:\n%s", id, logs.String())
		}
	})
	return cmd
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestControllerKilledMidRunResumes kills Vigil with SIGKILL while the
// second task of a run waits on a slow source, restarts it on the same
// data, and checks that the run finishes, the completed first task is not
// run again, and the warehouse holds each row once.
func TestControllerKilledMidRunResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs Vigil as a process")
	}
	var calls atomic.Int32
	hanging := make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			close(hanging)
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data": [{"id": 10, "amount": 1.5}, {"id": 11, "amount": 2.5}]}`)
	}))
	defer src.Close()
	dir := t.TempDir()
	pipes, work := filepath.Join(dir, "pipelines"), filepath.Join(dir, "work")
	for _, d := range []string{pipes, work} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(work, "orders.csv"), "id,amount\n1,10.5\n2,-1\n3,7\n")
	writeFile(t, filepath.Join(pipes, "_fleet.yaml"), "external: [shop.orders, shop.api]\n")
	writeFile(t, filepath.Join(pipes, "two.yaml"), fmt.Sprintf(`name: two
owner: a@example.org
team: t
schedule: {interval: 1h}
catchup: none
tasks:
  - name: first
    kind: extract
    inputs: [shop.orders]
    source: {connector: csv, settings: {path: orders.csv}}
    sink: {connector: sqlite, settings: {path: warehouse.db, table: orders, mode: append}}
    outputs: [warehouse.orders]
  - name: second
    kind: extract
    depends_on: [first]
    inputs: [shop.api]
    source: {connector: http, settings: {url: %q, records: data}}
    sink: {connector: sqlite, settings: {path: warehouse.db, table: api_orders, mode: append}}
    outputs: [warehouse.api_orders]
    retries: {count: 2, backoff: 1s, transient: [connection, timeout]}
`, src.URL))
	cfg := filepath.Join(dir, "vigil.yaml")
	writeFile(t, cfg, fmt.Sprintf("etl:\n  pipelines_dir: %s\n  work_dir: %s\n  agents: 1\n  lease: 2s\n  agent_timeout: 4s\n", pipes, work))
	data := filepath.Join(dir, "data")

	cmd, addr := startChild(t, data, cfg)
	c := client{base: "http://" + addr}
	if code, body := c.do(t, "POST", "/api/v1/pipelines/two/trigger", []byte(`{"reason": "test", "logical_time": "2026-11-24T12:00:00Z"}`), nil); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	select {
	case <-hanging:
	case <-time.After(30 * time.Second):
		t.Fatal("the second task never started")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, addr = startChild(t, data, cfg)
	c = client{base: "http://" + addr}
	v := waitRun(t, c, "/api/v1/runs/two/2026-11-24T12:00:00Z")
	if v.Run.State != "success" || len(v.Tasks) != 2 {
		t.Fatalf("run after restart: %+v", v)
	}
	if v.Tasks[0].Task != "first" || v.Tasks[0].Attempt != 1 {
		t.Fatalf("the completed first task ran again: %+v", v.Tasks[0])
	}
	if v.Tasks[1].Attempt < 2 {
		t.Fatalf("the in-flight second task was not dispatched again: %+v", v.Tasks[1])
	}
	if n := countRows(t, filepath.Join(work, "warehouse.db")); n != 3 {
		t.Fatalf("orders: %d rows, want 3", n)
	}
}
