package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

// fakeController hands out queued assignments and records what agents
// tell it.
type fakeController struct {
	mu         sync.Mutex
	queue      []Assignment
	reports    []string
	heartbeats []string
	abandon    []AttemptRef
	reportErr  error
	claimFree  []Capacity
}

func (f *fakeController) Claim(_ context.Context, agentID string, free Capacity) ([]Assignment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claimFree = append(f.claimFree, free)
	n := min(free.Slots, len(f.queue))
	out := slices.Clone(f.queue[:n])
	f.queue = f.queue[n:]
	for i := range out {
		out[i].Agent = agentID
	}
	return out, nil
}

func (f *fakeController) Heartbeat(_ context.Context, agentID string, total Capacity, running []AttemptRef) ([]AttemptRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heartbeats = append(f.heartbeats, fmt.Sprintf("%s slots=%d running=%d", agentID, total.Slots, len(running)))
	abandon := f.abandon
	f.abandon = nil
	return abandon, nil
}

func (f *fakeController) Report(_ context.Context, agentID string, ref AttemptRef, r Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reportErr != nil {
		return f.reportErr
	}
	status := "ok"
	if r.Failed() {
		status = string(r.Class)
	}
	f.reports = append(f.reports, fmt.Sprintf("%s %s#%d %s", agentID, ref.Task, ref.Attempt, status))
	return nil
}

func (f *fakeController) enqueue(as ...Assignment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, as...)
}

func (f *fakeController) reported() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reports)
}

// fixedRunner models every attempt as taking the duration named by its
// task in durations.
type fixedRunner struct{ durations map[string]time.Duration }

func (r fixedRunner) Model(a Assignment) (time.Duration, Result) {
	return r.durations[a.Task], Result{Usage: Usage{RowsOut: 1}}
}

func (r fixedRunner) Run(context.Context, Assignment) Result { panic("modelled attempts are not run") }

func assignment(task string, timeout time.Duration) Assignment {
	return Assignment{AttemptRef: AttemptRef{RunID: "p/x", Task: task, Attempt: 1}, Pipeline: "p",
		Spec: spec.Task{Name: task, Resources: spec.Resources{CPU: 1, Memory: 1 << 30}}, Timeout: timeout}
}

func newTestAgent(t *testing.T, f *fakeController, r Runner, c clock.Clock, capacity Capacity) *Agent {
	t.Helper()
	a, err := New(Options{ID: "a1", Capacity: capacity, Controller: f, Runner: r, Clock: c, HeartbeatEvery: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func step(t *testing.T, a *Agent) int {
	t.Helper()
	n, err := a.Step(t.Context())
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	return n
}

func TestAgentModelledAttempts(t *testing.T) {
	sim := clock.NewSim(t0)
	f := &fakeController{}
	r := fixedRunner{map[string]time.Duration{"slow": 3 * time.Minute, "fast": time.Minute, "third": time.Minute, "late": time.Hour}}
	a := newTestAgent(t, f, r, sim, Capacity{Slots: 2, CPU: 4, Memory: 8 << 30})
	f.enqueue(assignment("slow", time.Hour), assignment("fast", time.Hour), assignment("third", time.Hour), assignment("late", 2*time.Minute))

	if n := step(t, a); n != 2 {
		t.Fatalf("first step made %d claims, want 2 for 2 slots", n)
	}
	if got := f.claimFree[0]; got != (Capacity{Slots: 2, CPU: 4, Memory: 8 << 30}) {
		t.Fatalf("first claim offered %+v, want the whole capacity", got)
	}
	if next := a.NextWake(); !next.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("NextWake = %v, want the next heartbeat", next)
	}
	sim.Advance(time.Minute)
	step(t, a) // fast finishes and third is claimed.
	sim.Advance(time.Minute)
	step(t, a) // third finishes, late is claimed.
	sim.Advance(time.Minute)
	step(t, a) // slow finishes.
	sim.Advance(time.Minute)
	step(t, a) // late times out after 2m.
	want := []string{"a1 fast#1 ok", "a1 third#1 ok", "a1 slow#1 ok", "a1 late#1 timeout"}
	if got := f.reported(); !slices.Equal(got, want) {
		t.Fatalf("reports = %v, want %v", got, want)
	}
	// CPU and memory taken by held attempts are not offered.
	if got := f.claimFree[1]; got != (Capacity{Slots: 1, CPU: 3, Memory: 7 << 30}) {
		t.Fatalf("second claim offered %+v, want what slow leaves", got)
	}
}

func TestAgentHeartbeatsAndAbandons(t *testing.T) {
	sim := clock.NewSim(t0)
	f := &fakeController{}
	a := newTestAgent(t, f, fixedRunner{map[string]time.Duration{"x": time.Hour}}, sim, Capacity{Slots: 1})
	step(t, a)
	f.enqueue(assignment("x", 2*time.Hour))
	step(t, a)
	sim.Advance(5 * time.Second)
	step(t, a)
	if len(f.heartbeats) != 1 {
		t.Fatalf("heartbeats = %v, want one: the next is due after 10s", f.heartbeats)
	}
	f.abandon = []AttemptRef{{RunID: "p/x", Task: "x", Attempt: 1}}
	sim.Advance(5 * time.Second)
	step(t, a)
	if want := []string{"a1 slots=1 running=0", "a1 slots=1 running=1"}; !slices.Equal(f.heartbeats, want) {
		t.Fatalf("heartbeats = %v, want %v", f.heartbeats, want)
	}
	if got := a.Running(); len(got) != 0 {
		t.Fatalf("running after abandoning = %v, want nothing", got)
	}
	sim.Advance(2 * time.Hour)
	step(t, a)
	if got := f.reported(); len(got) != 0 {
		t.Fatalf("an abandoned attempt was reported: %v", got)
	}
}

func TestAgentReportErrors(t *testing.T) {
	sim := clock.NewSim(t0)
	f := &fakeController{}
	a := newTestAgent(t, f, fixedRunner{map[string]time.Duration{"x": time.Second}}, sim, Capacity{Slots: 1})
	f.enqueue(assignment("x", time.Hour))
	step(t, a)
	sim.Advance(time.Second)
	f.reportErr = errors.New("controller unreachable")
	if _, err := a.Step(t.Context()); err == nil {
		t.Fatal("step with a failing report succeeded")
	}
	if len(a.Running()) != 1 {
		t.Fatal("the attempt whose report failed was dropped; it must be reported again")
	}
	f.reportErr = fmt.Errorf("%w: stale", ErrRejected)
	step(t, a)
	if len(a.Running()) != 0 {
		t.Fatal("a rejected report is kept; it must be dropped")
	}
}

// blockingRunner runs until its context ends.
type blockingRunner struct{}

func (blockingRunner) Run(ctx context.Context, a Assignment) Result {
	<-ctx.Done()
	return Result{Error: ctx.Err().Error(), Class: spec.ClassInternal}
}

// TestAgentRunEnforcesTimeout runs a real attempt on the wall clock: the
// agent's context ends it at its timeout, and the report says timeout.
func TestAgentRunEnforcesTimeout(t *testing.T) {
	f := &fakeController{}
	a, err := New(Options{ID: "a1", Capacity: Capacity{Slots: 1}, Controller: f, Runner: blockingRunner{}, PollEvery: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(assignment("x", 20*time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.reported()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := f.reported(); !slices.Equal(got, []string{"a1 x#1 timeout"}) {
		t.Fatalf("reports = %v, want the attempt timed out", got)
	}
}

// TestAgentCloseCancelsAttempts checks that stopping an agent cancels and
// waits for the attempts it runs.
func TestAgentCloseCancelsAttempts(t *testing.T) {
	f := &fakeController{}
	a, err := New(Options{ID: "a1", Capacity: Capacity{Slots: 2}, Controller: f, Runner: blockingRunner{}})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(assignment("x", time.Hour), assignment("y", 0))
	if _, err := a.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.Close() // Returns only once both goroutines have ended.
}

func TestAgentDrain(t *testing.T) {
	sim := clock.NewSim(t0)
	f := &fakeController{}
	a := newTestAgent(t, f, fixedRunner{map[string]time.Duration{"x": time.Minute, "y": time.Minute}}, sim, Capacity{Slots: 1})
	f.enqueue(assignment("x", time.Hour), assignment("y", time.Hour))
	step(t, a)
	a.Drain()
	if a.Drained() {
		t.Fatal("drained while holding an attempt")
	}
	sim.Advance(time.Minute)
	step(t, a)
	if !a.Drained() || len(f.queue) != 1 {
		t.Fatalf("drained = %v with %d queued; want drained without claiming y", a.Drained(), len(f.queue))
	}
}

func TestNewAgentValidates(t *testing.T) {
	for _, o := range []Options{
		{Controller: &fakeController{}, Runner: blockingRunner{}},
		{ID: "a", Runner: blockingRunner{}},
		{ID: "a", Controller: &fakeController{}},
		{ID: "a", Controller: &fakeController{}, Runner: blockingRunner{}, Capacity: Capacity{Slots: -1}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}
