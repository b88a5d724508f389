package lineage_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/lineage"
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
