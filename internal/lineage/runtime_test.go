package lineage_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/etl/task"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

type collector struct {
	mu     sync.Mutex
	events []lineage.RunEvent
}

func (c *collector) Emit(ev lineage.RunEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
}

// TestRuntimeEventsConform runs a small simulated fleet through the real
// controller and validates every RunEvent it emits against the
// OpenLineage specification: START, COMPLETE and FAIL of runs and tasks.
func TestRuntimeEventsConform(t *testing.T) {
	c := &collector{}
	if _, err := etl.Simulate(context.Background(), etl.SimOptions{Pipelines: 4, Days: 1, Seed: 11, Logger: slog.New(slog.DiscardHandler), Events: c}); err != nil {
		t.Fatal(err)
	}
	kinds := map[lineage.EventType]int{}
	for _, ev := range c.events {
		kinds[ev.EventType]++
		lineage.ValidateAgainstSpec(t, ev)
		if t.Failed() {
			t.Fatalf("event %s of %s/%s does not conform", ev.EventType, ev.Job.Namespace, ev.Job.Name)
		}
	}
	if kinds[lineage.EventStart] == 0 || kinds[lineage.EventComplete] == 0 {
		t.Fatalf("the simulation emitted %v; want STARTs and COMPLETEs", kinds)
	}
	t.Logf("%d events validated: %v", len(c.events), kinds)
}

// TestRealRunEventsCarryProfiles runs one task with real connectors
// through the controller and an agent, and checks that its COMPLETE event
// carries the output's schema and data quality metrics and conforms.
func TestRealRunEventsCarryProfiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("id,amount,note\n1,10.5,a\n2,,b\n3,7,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := spec.Parse("p.yaml", []byte(`name: copy
owner: a@example.org
team: t
schedule: {interval: 1h}
catchup: none
tasks:
  - name: load
    kind: extract
    inputs: [files.in]
    source: {connector: csv, settings: {path: in.csv}}
    sink: {connector: sqlite, settings: {path: out.db, table: out, mode: append}}
    outputs: [warehouse.out]
`))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := spec.NewFleet([]*spec.Pipeline{p}, []string{"files.in"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := state.Open(ctx, state.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := &collector{}
	ctrl, err := etl.New(etl.Options{Store: store, Fleet: fleet, Events: c})
	if err != nil {
		t.Fatal(err)
	}
	reg := connector.NewRegistry(connector.Options{BaseDir: dir})
	pool, err := agent.NewPool(agent.PoolOptions{Size: 1, Capacity: agent.Capacity{Slots: 1}, Controller: ctrl,
		Runner: task.New(reg, slog.New(slog.DiscardHandler), nil), PollEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = ctrl.Run(ctx) })
	wg.Go(func() { _ = pool.Run(ctx) })
	defer wg.Wait()
	defer cancel()
	if _, err := ctrl.Trigger(ctx, etl.Actor{Who: "test", Why: "lineage"}, "copy", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		var done *lineage.RunEvent
		for i, ev := range c.events {
			if ev.EventType == lineage.EventComplete && ev.Job.Name == "copy.load" {
				done = &c.events[i]
			}
		}
		c.mu.Unlock()
		if done != nil {
			lineage.ValidateAgainstSpec(t, *done)
			out := done.Outputs[0]
			if out.Facets.Schema == nil || len(out.Facets.Schema.Fields) != 3 {
				t.Fatalf("no schema facet on the output: %+v", out.Facets)
			}
			b, _ := json.Marshal(out)
			if !strings.Contains(string(b), `"nullCount":1`) || !strings.Contains(string(b), `"rowCount":3`) {
				t.Fatalf("no data quality metrics on the output: %s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no COMPLETE event for the task")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
