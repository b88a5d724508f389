package chaos

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
)

// fakeController records the calls that reach it.
type fakeController struct {
	calls []string
}

func (c *fakeController) Claim(_ context.Context, id string, _ agent.Capacity) ([]agent.Assignment, error) {
	c.calls = append(c.calls, "claim "+id)
	return []agent.Assignment{extractAssignment(1)}, nil
}

func (c *fakeController) Heartbeat(_ context.Context, id string, _ agent.Capacity, _ []agent.AttemptRef) ([]agent.AttemptRef, error) {
	c.calls = append(c.calls, "heartbeat "+id)
	return nil, nil
}

func (c *fakeController) Report(_ context.Context, id string, _ agent.AttemptRef, _ agent.Result) error {
	c.calls = append(c.calls, "report "+id)
	return nil
}

func TestControllerCrash(t *testing.T) {
	flt := fault("f1", AgentCrash, "agent:a1")
	in, truth, sim := newInjector(t, Options{}, flt)
	next := &fakeController{}
	c := in.Controller(next)
	ctx := context.Background()
	held := []agent.AttemptRef{{RunID: "orders/2030-01-07T00:00:00Z", Task: "extract", Attempt: 1}, {RunID: "orders/2030-01-07T00:00:00Z", Task: "load", Attempt: 2}}

	// While a1 is crashed, nothing of it reaches the controller.
	err := c.Report(ctx, "a1", agent.AttemptRef{RunID: "sales/2030-01-07T00:00:00Z", Task: "t", Attempt: 1}, agent.Result{})
	if !errors.Is(err, agent.ErrRejected) {
		t.Fatalf("report of a crashed agent: %v, want it rejected", err)
	}
	abandon, err := c.Heartbeat(ctx, "a1", agent.Capacity{Slots: 2}, held)
	if err != nil || !reflect.DeepEqual(abandon, held) {
		t.Fatalf("heartbeat of a crashed agent: abandon %v, %v; want all it holds", abandon, err)
	}
	if got, err := c.Claim(ctx, "a1", agent.Capacity{Slots: 2}); len(got) != 0 || err != nil {
		t.Fatalf("claim of a crashed agent: %v, %v", got, err)
	}
	// Other agents go on.
	if got, err := c.Claim(ctx, "a2", agent.Capacity{Slots: 2}); len(got) != 1 || err != nil {
		t.Fatalf("claim of agent a2: %v, %v", got, err)
	}
	if want := []string{"claim a2"}; !reflect.DeepEqual(next.calls, want) {
		t.Fatalf("calls %v, want %v", next.calls, want)
	}
	// After the crash, a1 is back.
	sim.Advance(time.Hour)
	if _, err := c.Heartbeat(ctx, "a1", agent.Capacity{Slots: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Report(ctx, "a1", held[0], agent.Result{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"claim a2", "heartbeat a1", "report a1"}; !reflect.DeepEqual(next.calls, want) {
		t.Fatalf("calls %v, want %v", next.calls, want)
	}

	recs := truth.Records()
	wantEffects := map[string]string{
		"":               "the agent crashed: it stopped heartbeating and claiming work",
		"sales/t":        "the agent crashed: the attempt's report was lost",
		"orders/extract": "the agent crashed: the attempt was lost",
		"orders/load":    "the agent crashed: the attempt was lost",
	}
	if len(recs) != len(wantEffects) {
		t.Fatalf("records %+v, want %d", recs, len(wantEffects))
	}
	for _, g := range recs {
		checkTruth(t, g, flt, at)
		key := ""
		if g.Task != "" {
			key = g.Pipeline + "/" + g.Task
		}
		if g.Agent != "a1" || g.Effect != wantEffects[key] {
			t.Errorf("record %+v, want effect %q", g, wantEffects[key])
		}
	}
}
