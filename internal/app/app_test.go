package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/task"
)

// childEnv makes the test binary act as `vigil serve`, so that tests can
// run Vigil as a separate process and kill it with SIGKILL.
const childEnv = "VIGIL_TEST_CHILD_ARGS"

// agentEnv makes the test binary act as `vigil agent`.
const agentEnv = "VIGIL_TEST_AGENT_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		os.Exit(serveChild(strings.Split(args, "\x1f")))
	}
	if args := os.Getenv(agentEnv); args != "" {
		os.Exit(agentChild(strings.Split(args, "\x1f")))
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/prometheus/prometheus/tsdb.(*SegmentWAL).run"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
		// database/sql's connection opener lives as long as its DB; modernc sqlite keeps one.
		goleak.IgnoreAnyFunction("database/sql.(*DB).connectionOpener"),
	)
}

// serveChild runs Vigil with --data-dir and --listen given as args[0],
// args[1], and --config as args[2] when given.
func serveChild(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := app.Options{DataDir: args[0], Listen: args[1], Build: app.BuildInfo{Version: "test"}}
	if len(args) > 2 {
		opts.ConfigFile = args[2]
	}
	a, err := app.New(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// agentChild runs a remote agent for the controller args[0] with ID
// args[1] and work dir args[2], as `vigil agent` does.
func agentChild(args []string) int {
	rc, err := agent.NewRemoteController(args[0], os.Getenv("VIGIL_AGENT_TOKEN"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	reg := connector.NewRegistry(connector.Options{BaseDir: args[2]})
	a, err := agent.New(agent.Options{ID: args[1], Capacity: agent.Capacity{Slots: 2}, Controller: rc,
		Runner: task.New(reg, logger, nil), Logger: logger, HeartbeatEvery: 500 * time.Millisecond, PollEvery: 200 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := a.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startApp runs Vigil in-process until the test ends.
func startApp(t *testing.T, opts app.Options) *app.App {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.DataDir == "" && opts.ConfigFile == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.LogOutput == nil {
		opts.LogOutput = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	}
	return a
}

type client struct {
	base  string
	token string
}

func (c client) do(t testing.TB, method, path string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// query runs an instant PromQL query and returns the vector as
// labels → value.
func (c client) query(t testing.TB, q string, at time.Time) map[string]string {
	t.Helper()
	code, body := c.do(t, http.MethodGet, "/api/v1/query?"+url.Values{"query": {q}, "time": {fmt.Sprintf("%.3f", float64(at.UnixMilli())/1000)}}.Encode(), nil, nil)
	if code != http.StatusOK {
		t.Fatalf("query %q: %d %s", q, code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range r.Data.Result {
		out[fmt.Sprint(s.Metric)] = s.Value[1].(string)
	}
	return out
}

func TestServeOnDefaults(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, app.Options{DataDir: dir})
	c := client{base: "http://" + a.Addr()}
	for path, want := range map[string]string{"/-/ready": "Vigil is Ready", "/-/healthy": "Vigil is Healthy"} {
		if code, body := c.do(t, http.MethodGet, path, nil, nil); code != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	code, body := c.do(t, http.MethodGet, "/metrics", nil, nil)
	for _, want := range []string{"vigil_config_last_reload_successful 1", "vigil_build_info", "go_goroutines", "vigil_fanout_samples_dropped_total"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q (%d)", want, code)
		}
	}
	for _, f := range []string{"series", "state.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("data dir: %v", err)
		}
	}
	// Reload without a config file is refused with a reason.
	if code, body := c.do(t, http.MethodPost, "/-/reload", nil, nil); code != 500 || !strings.Contains(body, "no configuration file") {
		t.Fatalf("reload without file: %d %s", code, body)
	}
}

func TestLoadConfigDefaultsAndOverrides(t *testing.T) {
	cfg, err := app.LoadConfig(app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9750" || cfg.Storage.DataDir != "./data" {
		t.Fatalf("defaults: listen %s, data dir %s", cfg.Server.Listen, cfg.Storage.DataDir)
	}
	cfg, err = app.LoadConfig(app.Options{DataDir: "/tmp/x", Listen: "127.0.0.1:1"})
	if err != nil || cfg.Server.Listen != "127.0.0.1:1" || cfg.Storage.DataDir != "/tmp/x" {
		t.Fatalf("overrides: %+v, %v", cfg.Server, err)
	}
	if _, err := app.LoadConfig(app.Options{Listen: "nonsense"}); err == nil || !strings.Contains(err.Error(), "server.listen") {
		t.Fatalf("bad --listen: %v", err)
	}
}

// TestLoadConfigChecksParts refuses, as check-config does, a routing tree
// with a bad matcher or an unknown receiver and a forecast target that is
// not PromQL, naming each.
func TestLoadConfigChecksParts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/vigil.yaml", "notify:\n  receivers:\n    - {name: hook, webhook: {url: \"http://127.0.0.1:1/\"}}\n"+
		"  route:\n    receiver: hook\n    routes:\n      - {matchers: ['team=~\"(\"'], receiver: hook}\n      - {receiver: pager}\n"+
		"engine:\n  forecast:\n    targets:\n      - query: \"rate(x[5m]\"\n")
	_, err := app.LoadConfig(app.Options{ConfigFile: dir + "/vigil.yaml"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`notify.route.routes[0].matchers[0]`, "engine.forecast.targets[0].query"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	writeFile(t, dir+"/vigil.yaml", "remediation:\n  policies:\n    - {name: p, when: 'incident.kind ==', action: retry_run}\n")
	if _, err := app.LoadConfig(app.Options{ConfigFile: dir + "/vigil.yaml"}); err == nil || !strings.Contains(err.Error(), "remediation.policies[0] (p)") {
		t.Fatalf("bad policy: %v", err)
	}
	writeFile(t, dir+"/vigil.yaml", "notify:\n  receivers:\n    - {name: hook, webhook: {url: \"http://127.0.0.1:1/\"}}\n  route:\n    receiver: hook\n    routes:\n      - {receiver: pager}\n")
	if _, err := app.LoadConfig(app.Options{ConfigFile: dir + "/vigil.yaml"}); err == nil || !strings.Contains(err.Error(), `unknown receiver "pager"`) {
		t.Fatalf("unknown receiver: %v", err)
	}
}
