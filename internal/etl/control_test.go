package etl

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

var alice = Actor{Who: "alice", Why: "testing"}

func TestMaxActiveRuns(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil)}, func(p *spec.Pipeline) { p.MaxActiveRuns = 2 })
	h := newHarness(t, p)
	var ids []string
	for i := range 4 {
		ids = append(ids, h.trigger("p", t0.Add(-time.Duration(4-i)*time.Hour)))
	}
	states := func() []state.RunState {
		var out []state.RunState
		for _, id := range ids {
			out = append(out, h.run(id).State)
		}
		return out
	}
	want := []state.RunState{state.RunRunning, state.RunRunning, state.RunQueued, state.RunQueued}
	if got := states(); !slices.Equal(got, want) {
		t.Fatalf("run states = %v, want the two oldest running: %v", got, want)
	}
	as := h.claim("w", 10)
	if len(as) != 2 || as[0].RunID != ids[0] || as[1].RunID != ids[1] {
		t.Fatalf("claim = %+v, want the tasks of the two running runs", as)
	}
	h.succeed(as[0])
	want = []state.RunState{state.RunSuccess, state.RunRunning, state.RunRunning, state.RunQueued}
	if got := states(); !slices.Equal(got, want) {
		t.Fatalf("after one run ended: %v, want %v", got, want)
	}
}

func TestTriggerErrors(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil)}))
	id := h.trigger("p", t0.Add(-time.Hour))
	if r := h.run(id); r.Trigger != TriggerManual || !r.LogicalTime.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("run = %+v, want a manual run for t0-1h", r)
	}
	_, err := h.ctrl.Trigger(t.Context(), alice, "p", t0.Add(-time.Hour))
	errorsIs(t, "triggering an existing run", err, ErrRunExists)
	_, err = h.ctrl.Trigger(t.Context(), alice, "nope", time.Time{})
	errorsIs(t, "triggering an unknown pipeline", err, ErrUnknownPipeline)
	_, err = h.ctrl.Trigger(t.Context(), Actor{}, "p", time.Time{})
	errorsIs(t, "triggering without an actor", err, ErrInvalid)
	if id, err := h.ctrl.Trigger(t.Context(), alice, "p", time.Time{}); err != nil || id != runID("p", t0) {
		t.Fatalf("trigger for now = %q, %v; want the run for t0", id, err)
	}
}

func TestPauseResume(t *testing.T) {
	h := newHarness(t, hourly("p", spec.CatchupLatest))
	h.tick()
	if err := h.ctrl.Pause(t.Context(), alice, "p"); err != nil {
		t.Fatal(err)
	}
	if as := h.claim("w", 5); len(as) != 0 {
		t.Fatalf("claim from a paused pipeline = %+v, want nothing", as)
	}
	h.clock.Set(t0.Add(3*time.Hour + time.Minute))
	h.tick()
	if got := h.runs("p"); len(got) != 1 {
		t.Fatalf("runs while paused = %v, want only the 00:00 run", got)
	}
	if err := h.ctrl.Resume(t.Context(), alice, "p"); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if got, want := h.runs("p"), ids("p", 0, 3); !slices.Equal(got, want) {
		t.Fatalf("runs after resuming = %v, want the latest missed slot too: %v", got, want)
	}
	if as := h.claim("w", 5); len(as) != 2 {
		t.Fatalf("claim after resuming = %+v, want both runs' tasks", as)
	}
}

func TestDegradedSkipsOptionalTasks(t *testing.T) {
	p := testPipeline("p", []spec.Task{
		testTask("a", nil), testTask("enrich", []string{"a"}, optional), testTask("load", []string{"enrich"}),
	})
	h := newHarness(t, p)
	if err := h.ctrl.SetDegraded(t.Context(), alice, "p", true); err != nil {
		t.Fatal(err)
	}
	h.tick()
	run := runID("p", t0)
	h.succeed(h.claim("w", 5)[0])
	as, names := h.claimTasks("w", 5)
	if !slices.Equal(names, []string{"load"}) {
		t.Fatalf("claim after a = %v, want load: the optional enrich is skipped", names)
	}
	h.succeed(as[0])
	if ti := h.tasks(run)["enrich"]; ti.State != state.TaskSkipped || ti.Attempt != 0 {
		t.Fatalf("enrich = %+v, want skipped without an attempt", ti)
	}
	if r := h.run(run); r.State != state.RunSuccess {
		t.Fatalf("run = %s, want success", r.State)
	}
	// Back to normal, the optional task runs again.
	if err := h.ctrl.SetDegraded(t.Context(), alice, "p", false); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(t0.Add(time.Hour))
	h.tick()
	h.succeed(h.claim("w", 5)[0])
	if _, names := h.claimTasks("w", 5); !slices.Equal(names, []string{"enrich"}) {
		t.Fatalf("claim when no longer degraded = %v, want enrich", names)
	}
}

func TestCircuitHoldsTasks(t *testing.T) {
	api := testTask("api", nil, func(t *spec.Task) {
		t.Source = &spec.Endpoint{Connector: "http", Settings: map[string]any{"url": "https://user:pw@api.example.org:8443/v1/orders?page=1"}}
	})
	local := testTask("local", nil)
	h := newHarness(t, testPipeline("p", []spec.Task{api, local}))
	const endpoint = "http:api.example.org:8443"
	if got := Endpoints(api); !slices.Equal(got, []string{endpoint, "sqlite:test.db"}) {
		t.Fatalf("Endpoints(api) = %v", got)
	}
	if err := h.ctrl.OpenCircuit(t.Context(), Actor{Who: "remediate", Why: "http_5xx storm"}, endpoint); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if _, names := h.claimTasks("w", 5); !slices.Equal(names, []string{"local"}) {
		t.Fatalf("claim with the circuit open = %v, want only local", names)
	}
	// The circuit survives a restart.
	h.restart()
	if _, names := h.claimTasks("w", 5); len(names) != 0 {
		t.Fatalf("claim after a restart = %v, want nothing", names)
	}
	if err := h.ctrl.CloseCircuit(t.Context(), alice, endpoint); err != nil {
		t.Fatal(err)
	}
	if _, names := h.claimTasks("w", 5); !slices.Equal(names, []string{"api"}) {
		t.Fatalf("claim with the circuit closed = %v, want api", names)
	}
	circuits, err := h.store.ETL().Circuits(t.Context())
	if err != nil || len(circuits) != 1 || circuits[0].Open || circuits[0].Actor != "alice" {
		t.Fatalf("circuits = %+v, %v; want the closed one, last set by alice", circuits, err)
	}
}

func TestCancelRun(t *testing.T) {
	h := newHarness(t, chain("p"))
	h.tick()
	run := runID("p", t0)
	a := h.claim("w", 1)[0]
	if err := h.ctrl.CancelRun(t.Context(), alice, run); err != nil {
		t.Fatal(err)
	}
	r := h.run(run)
	if r.State != state.RunCancelled || r.Error != "cancelled by alice: testing" {
		t.Fatalf("run = %+v, want cancelled by alice", r)
	}
	for name, ti := range h.tasks(run) {
		if ti.State != state.TaskCancelled {
			t.Errorf("task %s = %s, want cancelled", name, ti.State)
		}
	}
	if abandon := h.heartbeat("w", a); len(abandon) != 1 {
		t.Fatalf("heartbeat = %v, want the cancelled attempt abandoned", abandon)
	}
	errorsIs(t, "cancelling it again", h.ctrl.CancelRun(t.Context(), alice, run), ErrRunEnded)
	errorsIs(t, "cancelling an unknown run", h.ctrl.CancelRun(t.Context(), alice, "p/nope"), ErrUnknownRun)
}

func TestRetryRun(t *testing.T) {
	p := chain("p")
	p.MaxActiveRuns = 2 // The retried run starts next to the 01:00 one.
	h := newHarness(t, p)
	h.tick()
	run := runID("p", t0)
	h.succeed(h.claim("w", 1)[0])
	h.fail(h.claim("w", 1)[0], spec.ClassData)
	if r := h.run(run); r.State != state.RunFailed {
		t.Fatalf("run = %s, want failed", r.State)
	}
	errorsIs(t, "retrying an unknown run", h.ctrl.RetryRun(t.Context(), alice, "p/nope"), ErrUnknownRun)
	h.advance(time.Hour)
	h.tick() // The 01:00 run.
	if err := h.ctrl.RetryRun(t.Context(), alice, run); err != nil {
		t.Fatal(err)
	}
	errorsIs(t, "retrying an active run", h.ctrl.RetryRun(t.Context(), alice, run), ErrRunActive)
	as := h.claim("w", 10)
	var mine []agent.Assignment
	for _, a := range as {
		if a.RunID == run {
			mine = append(mine, a)
		}
	}
	if len(mine) != 1 || mine[0].Task != "b" || mine[0].Attempt != 2 {
		t.Fatalf("claim after the retry = %+v, want b as attempt 2, and a not again", mine)
	}
	h.succeed(mine[0])
	for _, a := range h.claim("w", 10) {
		h.succeed(a)
	}
	if r := h.run(run); r.State != state.RunSuccess || r.Error != "" {
		t.Fatalf("retried run = %+v, want success", r)
	}
	if got := h.attempts(run, "a"); len(got) != 1 {
		t.Fatalf("a ran %d times, want once", len(got))
	}
	if ti := h.tasks(run)["b"]; ti.FirstAttempt != 2 {
		t.Fatalf("b's round starts at attempt %d, want 2", ti.FirstAttempt)
	}
	errorsIs(t, "retrying a successful run", h.ctrl.RetryRun(t.Context(), alice, run), ErrInvalid)
}

func TestControlsAreRecorded(t *testing.T) {
	h := newHarness(t, chain("p"))
	ctx := t.Context()
	remediate := Actor{Who: "remediate", Why: "rule etl_http_errors fired"}
	id := h.trigger("p", t0.Add(-time.Hour))
	steps := []func() error{
		func() error { return h.ctrl.Pause(ctx, alice, "p") },
		func() error { return h.ctrl.Resume(ctx, alice, "p") },
		func() error { return h.ctrl.SetDegraded(ctx, remediate, "p", true) },
		func() error { return h.ctrl.OpenCircuit(ctx, remediate, "http:api.example.org") },
		func() error { return h.ctrl.CloseCircuit(ctx, alice, "http:api.example.org") },
		func() error { return h.ctrl.CancelRun(ctx, alice, id) },
		func() error { return h.ctrl.RetryRun(ctx, alice, id) },
	}
	for i, step := range steps {
		h.advance(time.Second)
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	controls, err := h.store.ETL().Controls(ctx, state.ControlFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ actor, action, target, reason string }
	var got []row
	for _, c := range controls {
		got = append(got, row{c.Actor, c.Action, c.Target, c.Reason})
	}
	want := []row{
		{"test", ActionTrigger, "p", "testing"},
		{"alice", ActionPause, "p", "testing"},
		{"alice", ActionResume, "p", "testing"},
		{"remediate", ActionSetDegraded, "p", remediate.Why},
		{"remediate", ActionOpenCircuit, "http:api.example.org", remediate.Why},
		{"alice", ActionCloseCircuit, "http:api.example.org", "testing"},
		{"alice", ActionCancel, id, "testing"},
		{"alice", ActionRetry, id, "testing"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("controls =\n%v\nwant\n%v", got, want)
	}
	var params map[string]any
	if err := json.Unmarshal([]byte(controls[0].Params), &params); err != nil || params["run"] != id {
		t.Fatalf("trigger params = %s, %v; want the run ID", controls[0].Params, err)
	}
	if controls[3].Params != `{"degraded":true}` {
		t.Fatalf("set_degraded params = %s", controls[3].Params)
	}
	for i := 1; i < len(controls); i++ {
		if !controls[i].At.After(controls[i-1].At) {
			t.Fatalf("control %d at %v is not after the one before", i, controls[i].At)
		}
	}
}
