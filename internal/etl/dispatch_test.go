package etl

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

func TestLeaseExpiryRedispatches(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	h.tick()
	run := runID("p", t0)
	first := h.claim("w1", 1)[0]
	if !first.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("lease until %v, want a minute", first.LeaseUntil)
	}
	// Heartbeats keep the lease.
	for range 3 {
		h.advance(40 * time.Second)
		if abandon := h.heartbeat("w1", first); len(abandon) != 0 {
			t.Fatalf("heartbeat abandoned %v", abandon)
		}
		h.tick()
	}
	if ti := h.tasks(run)["a"]; ti.State != state.TaskRunning || ti.Attempt != 1 {
		t.Fatalf("task = %s, attempt %d; want attempt 1 still running", ti.State, ti.Attempt)
	}
	// Then w1 falls silent.
	h.advance(time.Minute + time.Microsecond)
	h.tick()
	if as := h.attempts(run, "a"); len(as) != 1 || as[0].State != state.AttemptLost || as[0].ErrorClass != ClassLost {
		t.Fatalf("attempts = %+v, want attempt 1 lost", as)
	}
	second := h.claim("w2", 1)
	if len(second) != 1 || second[0].Attempt != 2 || second[0].Agent != "w2" {
		t.Fatalf("claim after the lease lapsed = %+v, want attempt 2 on w2", second)
	}
	// w1 comes back: its report is refused and it is told to abandon.
	errorsIs(t, "report of the lost attempt", h.ctrl.Report(t.Context(), "w1", first.AttemptRef, okResult()), ErrStaleAttempt)
	if abandon := h.heartbeat("w1", first); !slices.Equal(abandon, []agent.AttemptRef{first.AttemptRef}) {
		t.Fatalf("heartbeat of w1 = %v, want its lost attempt abandoned", abandon)
	}
	h.succeed(second[0])
	ti := h.tasks(run)["a"]
	if ti.State != state.TaskSuccess || ti.Attempt != 2 || ti.Lost != 1 || ti.Agent != "w2" {
		t.Fatalf("task = %+v, want success on attempt 2 by w2 with one lost attempt", ti)
	}
}

func TestReportAfterLeaseLapsed(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	h.tick()
	a := h.claim("w1", 1)[0]
	h.advance(2 * time.Minute) // No tick has noticed yet.
	errorsIs(t, "report after the lease lapsed", h.ctrl.Report(t.Context(), "w1", a.AttemptRef, okResult()), ErrLeaseLost)
	if b := h.claim("w2", 1); len(b) != 1 || b[0].Attempt != 2 {
		t.Fatalf("claim = %+v, want attempt 2 at once", b)
	}
}

func TestLostAttemptsAreBounded(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	h.opts.MaxLostAttempts = 2
	h.restart()
	h.tick()
	for i := range 3 {
		if as := h.claim(fmt.Sprint("w", i), 1); len(as) != 1 {
			t.Fatalf("claim %d = %+v", i, as)
		}
		h.advance(2 * time.Minute)
		h.tick()
	}
	ti := h.tasks(runID("p", t0))["a"]
	if ti.State != state.TaskFailed || ti.Lost != 3 || ti.ErrorClass != ClassLost {
		t.Fatalf("task = %+v, want failed after 3 lost attempts", ti)
	}
}

func TestDeadAgent(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil), testTask("b", nil)}))
	h.opts.Lease = time.Hour // Only the agent timeout can notice.
	h.restart()
	h.tick()
	as := h.claim("w1", 2)
	h.heartbeat("w1", as...)
	h.advance(5*time.Minute + time.Second)
	h.tick()
	agents, err := h.store.ETL().Agents(t.Context())
	if err != nil || len(agents) != 1 || agents[0].State != state.AgentDead {
		t.Fatalf("agents = %+v, %v; want w1 dead", agents, err)
	}
	if got := h.claim("w2", 5); len(got) != 2 || got[0].Attempt != 2 {
		t.Fatalf("claim after w1 died = %+v, want both tasks again as attempt 2", got)
	}
	// w1 is back; it is alive again but its attempts are gone.
	if abandon := h.heartbeat("w1", as...); len(abandon) != 2 {
		t.Fatalf("heartbeat of the returning agent abandoned %v, want both", abandon)
	}
	agents, _ = h.store.ETL().Agents(t.Context())
	if agents[0].State != state.AgentAlive || agents[0].Slots != 4 {
		t.Fatalf("agent w1 = %+v, want alive with the capacity it reported", agents[0])
	}
}

func TestClaimFitsResources(t *testing.T) {
	big := testTask("big", nil, func(t *spec.Task) { t.Resources = spec.Resources{CPU: 4, Memory: 8 << 30} })
	small := testTask("small", nil, func(t *spec.Task) { t.Resources = spec.Resources{CPU: 1, Memory: 1 << 30} })
	h := newHarness(t, testPipeline("p", []spec.Task{big, small}))
	h.tick()
	claim := func(free agent.Capacity) []string {
		t.Helper()
		as, err := h.ctrl.Claim(t.Context(), "w", free)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range as {
			names = append(names, a.Task)
		}
		return names
	}
	if got := claim(agent.Capacity{Slots: 2, CPU: 2, Memory: 16 << 30}); !slices.Equal(got, []string{"small"}) {
		t.Fatalf("claim with 2 cores = %v, want only small", got)
	}
	if got := claim(agent.Capacity{Slots: 2, CPU: 8, Memory: 4 << 30}); len(got) != 0 {
		t.Fatalf("claim with 4 GiB = %v, want nothing", got)
	}
	if got := claim(agent.Capacity{Slots: 0, CPU: 8, Memory: 16 << 30}); len(got) != 0 {
		t.Fatalf("claim with no slot = %v, want nothing", got)
	}
	if got := claim(agent.Capacity{Slots: 1, CPU: 8, Memory: 16 << 30}); !slices.Equal(got, []string{"big"}) {
		t.Fatalf("claim with room = %v, want big", got)
	}
}

func TestLeaseWritesAreThrottled(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	h.tick()
	run := runID("p", t0)
	a := h.claim("w", 1)[0]
	h.advance(10 * time.Second)
	h.heartbeat("w", a)
	if got := h.tasks(run)["a"].LeaseUntil; !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("stored lease = %v after a heartbeat early in the lease, want it unwritten", got)
	}
	h.advance(25 * time.Second) // Less than half a lease is left in the store.
	h.heartbeat("w", a)
	if got, want := h.tasks(run)["a"].LeaseUntil, h.clock.Now().Add(time.Minute); !got.Equal(want) {
		t.Fatalf("stored lease = %v, want %v", got, want)
	}
}

func TestLogsAreBounded(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	h.opts.MaxLogLines = 10
	h.restart()
	h.tick()
	a := h.claim("w", 1)[0]
	var lines []agent.LogLine
	for i := range 100 {
		lines = append(lines, agent.LogLine{At: t0, Level: "info", Line: fmt.Sprint("line ", i)})
	}
	if err := h.ctrl.Report(t.Context(), "w", a.AttemptRef, agent.Result{Logs: lines}); err != nil {
		t.Fatal(err)
	}
	got, err := h.store.ETL().Logs(t.Context(), a.RunID, "a", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, l := range got {
		text = append(text, l.Line)
	}
	if len(got) != 10 || text[0] != "line 0" || text[4] != "line 4" || !strings.Contains(text[5], "91 lines omitted") || text[9] != "line 99" {
		t.Fatalf("stored logs = %q, want the first 5, a note and the last 4", text)
	}
}

func TestInvalidAgentCalls(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	_, err := h.ctrl.Claim(t.Context(), "", agent.Capacity{Slots: 1})
	errorsIs(t, "claim without an agent ID", err, ErrInvalid)
	_, err = h.ctrl.Heartbeat(t.Context(), "", agent.Capacity{}, nil)
	errorsIs(t, "heartbeat without an agent ID", err, ErrInvalid)
	err = h.ctrl.Report(t.Context(), "w", agent.AttemptRef{RunID: "p/x", Task: "a", Attempt: 1}, okResult())
	errorsIs(t, "report of an unknown attempt", err, ErrStaleAttempt)
}
