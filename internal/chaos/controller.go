package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
)

// Controller returns next as agents see it, with AgentCrash faults
// injected. While an agent is crashed its claims get nothing, its
// heartbeats do not reach next and tell it to abandon every attempt it
// holds, and its reports are rejected: the controller finds the agent
// dead, the leases of its attempts lapse and they are dispatched again, as
// when an agent process dies and comes back empty. It works for agents on
// the wall clock and for a simulation's, which go on stepping while
// crashed.
func (in *Injector) Controller(next agent.Controller) agent.Controller {
	return &controller{in: in, next: next}
}

// Wrap returns the Modeller and Controller wrappers of an injector on
// clock c. Its signature is that of the hook a simulation needs to run
// with faults: given the simulated clock, the runner and the controller
// it would give its agents, it returns those they use instead.
func (in *Injector) Wrap(c clock.Clock, runner agent.Modeller, ctrl agent.Controller) (agent.Runner, agent.Controller) {
	x := in.WithClock(c)
	return x.Modeller(runner), x.Controller(ctrl)
}

// controller is the Controller wrapper.
type controller struct {
	in   *Injector
	next agent.Controller
}

// Claim hands a crashed agent nothing.
func (c *controller) Claim(ctx context.Context, agentID string, free agent.Capacity) ([]agent.Assignment, error) {
	if _, crashed := c.crashed(agentID); crashed {
		return nil, nil
	}
	return c.next.Claim(ctx, agentID, free)
}

// Heartbeat keeps a crashed agent's heartbeat from the controller and has
// the agent abandon what it holds.
func (c *controller) Heartbeat(ctx context.Context, agentID string, total agent.Capacity, running []agent.AttemptRef) ([]agent.AttemptRef, error) {
	f, crashed := c.crashed(agentID)
	if !crashed {
		return c.next.Heartbeat(ctx, agentID, total, running)
	}
	for _, ref := range running {
		c.in.record(f, c.in.clock.Now(), refSubject(agentID, ref), "the agent crashed: the attempt was lost")
	}
	return slices.Clone(running), nil
}

// Report rejects the reports of a crashed agent.
func (c *controller) Report(ctx context.Context, agentID string, ref agent.AttemptRef, r agent.Result) error {
	f, crashed := c.crashed(agentID)
	if !crashed {
		return c.next.Report(ctx, agentID, ref, r)
	}
	c.in.record(f, c.in.clock.Now(), refSubject(agentID, ref), "the agent crashed: the attempt's report was lost")
	return fmt.Errorf("report of attempt %d of %s/%s: %w: agent %s crashed", ref.Attempt, ref.RunID, ref.Task, agent.ErrRejected, agentID)
}

// crashed returns the crash that strikes agentID now, if any, and records
// the crash the first time it is seen.
func (c *controller) crashed(agentID string) (Fault, bool) {
	now := c.in.clock.Now()
	subj := Subject{Agent: agentID}
	faults := c.in.schedule.striking(subj, now, AgentCrash)
	if len(faults) == 0 {
		return Fault{}, false
	}
	f := faults[0]
	if c.in.once(f.ID + "\x00" + agentID) {
		c.in.record(f, now, subj, "the agent crashed: it stopped heartbeating and claiming work")
	}
	return f, true
}

// refSubject returns the subject of an attempt an agent reports or lists.
func refSubject(agentID string, ref agent.AttemptRef) Subject {
	pipeline, _, _ := strings.Cut(ref.RunID, "/")
	return Subject{Agent: agentID, Pipeline: pipeline, Task: ref.Task, Run: ref.RunID, Attempt: ref.Attempt}
}
