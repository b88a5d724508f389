package etl

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
	"github.com/vigil-aiops/vigil/internal/testenv"
)

// t0 is a Monday at midnight, where the tests' simulated time starts.
var t0 = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

// backend names a state store backend the controller tests run on.
type backend struct {
	name string
	open func(t *testing.T) state.Options
}

// backends returns SQLite, always, and PostgreSQL, which testenv skips
// (or fails in CI) when no server is configured.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) state.Options { return state.Options{DataDir: t.TempDir()} }},
		{"postgres", func(t *testing.T) state.Options { return state.Options{PostgresURL: testenv.PostgresURL(t)} }},
	}
}

// harness is a controller on a simulated clock and a real store, driven by
// hand: the test plays the agents.
type harness struct {
	t       *testing.T
	store   *state.Store
	clock   *clock.Sim
	fleet   *spec.Fleet
	opts    Options
	ctrl    *Controller
	samples *recordedSamples
	events  *recordedEvents
}

// newHarness returns a harness on SQLite for a fleet of pipelines.
func newHarness(t *testing.T, pipelines ...*spec.Pipeline) *harness {
	t.Helper()
	return newHarnessOn(t, state.Options{DataDir: t.TempDir()}, pipelines...)
}

// newHarnessOn returns a harness on the store opts open.
func newHarnessOn(t *testing.T, so state.Options, pipelines ...*spec.Pipeline) *harness {
	t.Helper()
	store, err := state.Open(t.Context(), so)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	fleet, err := spec.NewFleet(pipelines, nil)
	if err != nil {
		t.Fatalf("new fleet: %v", err)
	}
	h := &harness{
		t: t, store: store, clock: clock.NewSim(t0), fleet: fleet,
		samples: &recordedSamples{}, events: &recordedEvents{},
	}
	h.opts = Options{
		Store: store, Clock: h.clock, Fleet: fleet, Samples: h.samples, Events: h.events,
		Lease: time.Minute, AgentTimeout: 5 * time.Minute, TimeoutGrace: 10 * time.Second,
	}
	h.restart()
	return h
}

// restart drops the controller and builds a new one on the same store, as
// a process restart would.
func (h *harness) restart() {
	h.t.Helper()
	c, err := New(h.opts)
	if err != nil {
		h.t.Fatalf("new controller: %v", err)
	}
	h.ctrl = c
}

func (h *harness) advance(d time.Duration) { h.clock.Advance(d) }

func (h *harness) tick() {
	h.t.Helper()
	if err := h.ctrl.Tick(h.t.Context()); err != nil {
		h.t.Fatalf("tick at %s: %v", h.clock.Now().Format(time.RFC3339), err)
	}
}

// claim claims for agentID with the given free slots and unstated CPU and
// memory.
func (h *harness) claim(agentID string, slots int) []agent.Assignment {
	h.t.Helper()
	as, err := h.ctrl.Claim(h.t.Context(), agentID, agent.Capacity{Slots: slots})
	if err != nil {
		h.t.Fatalf("claim for %s: %v", agentID, err)
	}
	return as
}

// claimTasks claims and returns the task names claimed, in order.
func (h *harness) claimTasks(agentID string, slots int) ([]agent.Assignment, []string) {
	h.t.Helper()
	as := h.claim(agentID, slots)
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Task
	}
	return as, names
}

func (h *harness) heartbeat(agentID string, running ...agent.Assignment) []agent.AttemptRef {
	h.t.Helper()
	refs := make([]agent.AttemptRef, len(running))
	for i, a := range running {
		refs[i] = a.AttemptRef
	}
	abandon, err := h.ctrl.Heartbeat(h.t.Context(), agentID, agent.Capacity{Slots: 4}, refs)
	if err != nil {
		h.t.Fatalf("heartbeat of %s: %v", agentID, err)
	}
	return abandon
}

// succeed reports a's success with some rows.
func (h *harness) succeed(a agent.Assignment) {
	h.t.Helper()
	res := agent.Result{Usage: agent.Usage{RowsIn: 10, RowsOut: 10, Bytes: 100, Wall: time.Second},
		Logs: []agent.LogLine{{At: h.clock.Now(), Level: "info", Line: "done " + a.Task}}}
	if err := h.ctrl.Report(h.t.Context(), a.Agent, a.AttemptRef, res); err != nil {
		h.t.Fatalf("report success of %s/%s attempt %d: %v", a.RunID, a.Task, a.Attempt, err)
	}
}

// fail reports a's failure with an error of class.
func (h *harness) fail(a agent.Assignment, class spec.ErrorClass) {
	h.t.Helper()
	res := agent.Result{Error: "boom: " + string(class), Class: class}
	if err := h.ctrl.Report(h.t.Context(), a.Agent, a.AttemptRef, res); err != nil {
		h.t.Fatalf("report failure of %s/%s attempt %d: %v", a.RunID, a.Task, a.Attempt, err)
	}
}

// run returns the stored run id.
func (h *harness) run(id string) state.Run {
	h.t.Helper()
	r, err := h.store.ETL().Run(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("get run %s: %v", id, err)
	}
	return r
}

// runs returns the IDs of the stored runs of pipeline, oldest first.
func (h *harness) runs(pipeline string) []string {
	h.t.Helper()
	rs, err := h.store.ETL().ListRuns(h.t.Context(), state.RunFilter{Pipeline: pipeline, Limit: 1000})
	if err != nil {
		h.t.Fatalf("list runs: %v", err)
	}
	var ids []string
	for _, r := range slices.Backward(rs) {
		ids = append(ids, r.ID)
	}
	return ids
}

// tasks returns the stored task instances of a run by name.
func (h *harness) tasks(runID string) map[string]state.TaskInstance {
	h.t.Helper()
	ts, err := h.store.ETL().ListTasks(h.t.Context(), state.TaskFilter{RunID: runID})
	if err != nil {
		h.t.Fatalf("list tasks: %v", err)
	}
	out := make(map[string]state.TaskInstance)
	for _, t := range ts {
		out[t.Task] = t
	}
	return out
}

// attempts returns the stored attempts of a task instance.
func (h *harness) attempts(runID, task string) []state.Attempt {
	h.t.Helper()
	as, err := h.store.ETL().Attempts(h.t.Context(), runID, task)
	if err != nil {
		h.t.Fatalf("list attempts: %v", err)
	}
	return as
}

// trigger creates a manual run of pipeline at logical time at.
func (h *harness) trigger(pipeline string, at time.Time) string {
	h.t.Helper()
	id, err := h.ctrl.Trigger(h.t.Context(), Actor{Who: "test", Why: "testing"}, pipeline, at)
	if err != nil {
		h.t.Fatalf("trigger %s: %v", pipeline, err)
	}
	return id
}

// pipelineOpt changes a test pipeline.
type pipelineOpt func(*spec.Pipeline)

// testPipeline returns a valid pipeline of tasks, run hourly unless an
// option says otherwise.
func testPipeline(name string, tasks []spec.Task, opts ...pipelineOpt) *spec.Pipeline {
	p := spec.DefaultPipeline()
	p.Name, p.File = name, name+".yaml"
	p.Schedule.Cron = "0 * * * *"
	p.Tasks = tasks
	for _, o := range opts {
		o(&p)
	}
	return &p
}

// taskOpt changes a test task.
type taskOpt func(*spec.Task)

// testTask returns a valid extract task depending on deps.
func testTask(name string, deps []string, opts ...taskOpt) spec.Task {
	t := spec.DefaultTask()
	t.Name, t.Kind, t.DependsOn = name, spec.KindExtract, deps
	t.Source = &spec.Endpoint{Connector: "generate", Settings: map[string]any{"rows": 10}}
	t.Sink = &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "test.db", "table": name, "mode": "append"}}
	t.Timeout = spec.Duration(10 * time.Minute)
	for _, o := range opts {
		o(&t)
	}
	return t
}

func withRetries(count int, backoff time.Duration, transient ...spec.ErrorClass) taskOpt {
	return func(t *spec.Task) {
		t.Retries = spec.Retries{Count: count, Backoff: spec.Duration(backoff), MaxBackoff: spec.Duration(time.Hour), Transient: transient}
	}
}

func optional(t *spec.Task) { t.Criticality = spec.Optional }

// recordedSamples is a SampleWriter that keeps what it is given.
type recordedSamples struct {
	mu      sync.Mutex
	samples []string
}

func (r *recordedSamples) Write(name string, labels map[string]string, t time.Time, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := name + "{"
	for i, k := range keys {
		if i > 0 {
			s += ","
		}
		s += k + "=" + labels[k]
	}
	r.samples = append(r.samples, fmt.Sprintf("%s} %g", s, v))
}

// names returns the metric names written, each once, sorted.
func (r *recordedSamples) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.samples {
		name := s[:slices.Index([]byte(s), '{')]
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// recordedEvents is an EventSink that keeps what it is given.
type recordedEvents struct {
	mu     sync.Mutex
	events []lineage.RunEvent
}

func (r *recordedEvents) Emit(ev lineage.RunEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// summary returns "<type> <job>" for every event.
func (r *recordedEvents) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = string(e.EventType) + " " + e.Job.Name
	}
	return out
}

// errorsIs fails unless err wraps target.
func errorsIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}
