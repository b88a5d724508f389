package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/app"
)

// TestControlCommands drives a running Vigil with the CLI.
func TestControlCommands(t *testing.T) {
	dir := t.TempDir()
	pipes := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(pipes, 0o750); err != nil {
		t.Fatal(err)
	}
	spec := `name: hello
owner: a@example.org
team: t
schedule: {interval: 1h}
tasks:
  - name: make
    kind: extract
    source: {connector: generate, settings: {rows: 5, seed: 1, columns: [{name: id, type: int, dist: sequence}]}}
    sink: {connector: jsonl, settings: {path: hello.jsonl}}
    outputs: [files.hello]
`
	cfg := fmt.Sprintf("storage:\n  data_dir: %s\netl:\n  pipelines_dir: %s\n  agents: 1\nauth:\n  tokens:\n    - {name: cli-user, role: operator, token: cli-token-0123456789}\n", filepath.Join(dir, "data"), pipes)
	for path, content := range map[string]string{filepath.Join(pipes, "hello.yaml"): spec, filepath.Join(dir, "vigil.yaml"): cfg} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigFile: filepath.Join(dir, "vigil.yaml"), Listen: "127.0.0.1:0", LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-a.Ready()
	base := "http://" + a.Addr()
	ctl := func(args ...string) (string, error) {
		return run(t, append(args, "--url", base, "--token", "cli-token-0123456789")...)
	}

	out, err := ctl("pipelines", "trigger", "hello", "--reason", "cli test", "--logical-time", "2026-11-24T08:00:00Z")
	if err != nil || !strings.Contains(out, `"run_id": "hello/2026-11-24T08:00:00Z"`) {
		t.Fatalf("trigger: %v %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err = ctl("runs", "show", "hello/2026-11-24T08:00:00Z")
		if err == nil && strings.Contains(out, `"State": "success"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not succeed: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := ctl("pipelines", "pause", "hello"); err == nil || !strings.Contains(err.Error(), `"reason" is required`) {
		t.Fatalf("pause without a reason: %v", err)
	}
	if out, err := ctl("pipelines", "pause", "hello", "--reason", "maintenance"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("pause: %v %s", err, out)
	}
	if out, err := ctl("pipelines", "list"); err != nil || !strings.Contains(out, `"paused": true`) {
		t.Fatalf("list after pause: %v %s", err, out)
	}
	if _, err := run(t, "pipelines", "list", "--url", base); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no token: %v", err)
	}
	if out, err := ctl("runs", "list", "--pipeline", "hello"); err != nil || !strings.Contains(out, "hello/2026-11-24T08:00:00Z") {
		t.Fatalf("runs list: %v %s", err, out)
	}
}
