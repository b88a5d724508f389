package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mainEnv makes the test binary run main with the given arguments, so the
// signal handling of the real command can be tested in a separate process.
const mainEnv = "VIGIL_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(mainEnv); args != "" {
		os.Args = append([]string{"vigil"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestCheckConfig(t *testing.T) {
	out, err := run(t, "check-config", "--config", "../../examples/vigil.yaml")
	if err != nil || !strings.Contains(out, "configuration is valid") {
		t.Fatalf("example config: %v %s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("query:\n  timeout: 0s\nstorage:\n  retension: 1d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "check-config", "--config", bad)
	if err == nil || !strings.Contains(err.Error(), `unknown field "retension"`) || !strings.Contains(err.Error(), `did you mean "retention"?`) {
		t.Fatalf("bad config: %v", err)
	}
	if _, err := run(t, "check-config", "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "vigil dev (revision unknown") {
		t.Fatalf("version: %v %q", err, out)
	}
}

// TestServeReloadsOnSIGHUP runs `vigil serve` as a process, changes its
// config file and sends SIGHUP: the new token must then be accepted.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs vigil serve as a process")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "vigil.yaml")
	write := func(extra string) {
		cfg := "auth:\n  tokens:\n    - {name: ops, role: admin, token: admin-token-0123456789}\n" + extra
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainEnv+"="+strings.Join([]string{"serve", "--config", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--listen", addr}, "\x1f"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	status := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: timed out; log:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("ready", func() bool { return status("/-/ready", "") == 200 })
	const newToken = "sighup-token-0123456789"
	if code := status("/api/v1/labels", newToken); code != 401 {
		t.Fatalf("new token before reload: %d", code)
	}
	write("    - {name: grafana, role: viewer, token: " + newToken + "}\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("new token accepted after SIGHUP", func() bool { return status("/api/v1/labels", newToken) == 200 })

	// SIGTERM stops it cleanly.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
	if !strings.Contains(logs.String(), "configuration reloaded") || !strings.Contains(logs.String(), "Vigil stopped") {
		t.Fatalf("log lacks reload or stop:\n%s", logs.String())
	}
}

func TestSimIsDeterministic(t *testing.T) {
	digest := func(seed string) string {
		t.Helper()
		out, err := run(t, "sim", "--pipelines", "5", "--days", "1", "--seed", seed, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Runs   int    `json:"runs"`
			Tasks  int    `json:"tasks"`
			Digest string `json:"digest"`
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if r.Runs == 0 || r.Tasks < r.Runs || len(r.Digest) != 64 {
			t.Fatalf("implausible result %+v", r)
		}
		return r.Digest
	}
	a, b, c := digest("3"), digest("3"), digest("4")
	if a != b {
		t.Fatalf("same seed, different digests: %s %s", a, b)
	}
	if a == c {
		t.Fatal("different seeds, same digest")
	}
}

func TestSimWithFaults(t *testing.T) {
	truth := filepath.Join(t.TempDir(), "truth.jsonl")
	out, err := run(t, "sim", "--pipelines", "5", "--days", "2", "--seed", "2", "--faults-per-kind", "1", "--truth", truth, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Faults int `json:"faults"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &r); err != nil || r.Faults < 11 {
		t.Fatalf("faults %d (want one of each of the 11 kinds): %v %s", r.Faults, err, out)
	}
	b, err := os.ReadFile(truth)
	if err != nil || !strings.Contains(string(b), `"fault":`) {
		t.Fatalf("ground truth: %v %s", err, b)
	}
}
