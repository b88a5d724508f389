package agent

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
)

func TestPoolSizeAndSlots(t *testing.T) {
	sim := clock.NewSim(t0)
	f := &fakeController{}
	p, err := NewPool(PoolOptions{Size: 2, Capacity: Capacity{Slots: 1}, Controller: f,
		Runner: fixedRunner{map[string]time.Duration{"x": time.Minute, "y": time.Minute, "z": time.Minute}}, Clock: sim})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Agents(); !slices.Equal(got, []string{"embedded-00", "embedded-01"}) {
		t.Fatalf("agents = %v", got)
	}
	if err := p.SetSize(3); err != nil {
		t.Fatal(err)
	}
	f.enqueue(assignment("x", time.Hour), assignment("y", time.Hour), assignment("z", time.Hour))
	if n, err := p.Step(t.Context()); err != nil || n != 3 {
		t.Fatalf("step = %d, %v; want 3 claims, one per agent", n, err)
	}
	// Shrinking drains the newest agents, which finish what they hold.
	if err := p.SetSize(1); err != nil {
		t.Fatal(err)
	}
	if got := p.Agents(); !slices.Equal(got, []string{"embedded-00"}) {
		t.Fatalf("agents after shrinking = %v", got)
	}
	sim.Advance(time.Minute)
	if n, err := p.Step(t.Context()); err != nil || n != 3 {
		t.Fatalf("step = %d, %v; want the 3 reports, drained agents included", n, err)
	}
	if _, ok := p.NextWake(); !ok {
		t.Fatal("NextWake reports no agent")
	}
	if err := p.SetSlots(4); err != nil {
		t.Fatal(err)
	}
	if err := p.SetSize(2); err != nil {
		t.Fatal(err)
	}
	sim.Advance(time.Hour)
	f.heartbeats = nil
	if _, err := p.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"embedded-00 slots=4 running=0", "embedded-03 slots=4 running=0"}; !slices.Equal(f.heartbeats, want) {
		t.Fatalf("heartbeats = %v, want %v: drained agents gone, a new one with a new ID, slots changed", f.heartbeats, want)
	}
	if err := p.SetSize(-1); err == nil {
		t.Fatal("SetSize(-1) succeeded")
	}
}

func TestPoolRun(t *testing.T) {
	f := &fakeController{}
	p, err := NewPool(PoolOptions{Size: 2, Capacity: Capacity{Slots: 1}, Controller: f, Runner: blockingRunner{},
		PollEvery: time.Millisecond, IDPrefix: "w"})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(assignment("x", 10*time.Millisecond), assignment("y", 10*time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.reported()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := p.SetSize(3); err != nil { // Started at once while running.
		t.Fatal(err)
	}
	f.enqueue(assignment("z", 10*time.Millisecond))
	for len(f.reported()) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := f.reported()
	slices.Sort(got)
	if len(got) != 3 {
		t.Fatalf("reports = %v, want three timeouts", got)
	}
}
