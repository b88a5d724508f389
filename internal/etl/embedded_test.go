package etl

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// countingRunner succeeds at once, counting the attempts it runs by task.
type countingRunner struct {
	mu   sync.Mutex
	runs map[string]int
}

func (r *countingRunner) Run(ctx context.Context, a agent.Assignment) agent.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[a.RunID+"/"+a.Task]++
	return agent.Result{Usage: agent.Usage{RowsIn: 1, RowsOut: 1}}
}

// TestEmbeddedRealClock runs the controller's loop and an embedded pool on
// goroutines on the wall clock, as `vigil serve` does, and checks that a
// manual run of a diamond goes through, each task once.
func TestEmbeddedRealClock(t *testing.T) {
	store, err := state.Open(t.Context(), state.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := diamond("p")
	p.Schedule = spec.Schedule{Cron: "0 0 1 1 *"} // Yearly: only the manual run happens.
	fleet, err := spec.NewFleet([]*spec.Pipeline{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := New(Options{Store: store, Fleet: fleet, TickEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runner := &countingRunner{runs: map[string]int{}}
	pool, err := agent.NewPool(agent.PoolOptions{Size: 2, Capacity: agent.Capacity{Slots: 2}, Controller: ctrl, Runner: runner,
		PollEvery: 5 * time.Millisecond, HeartbeatEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ctrl.Run(ctx) })
	wg.Go(func() { _ = pool.Run(ctx) })
	defer func() {
		cancel()
		wg.Wait()
	}()

	id, err := ctrl.Trigger(ctx, Actor{Who: "test"}, "p", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := store.ETL().Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == state.RunSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run is %s after 10s, want success", r.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runner.mu.Lock()
	defer runner.mu.Unlock()
	for _, task := range []string{"a", "b", "c", "d"} {
		if n := runner.runs[id+"/"+task]; n != 1 {
			t.Errorf("task %s ran %d times, want once", task, n)
		}
	}
	agents, err := store.ETL().Agents(ctx)
	if err != nil || len(agents) != 2 || agents[0].Slots != 2 {
		t.Errorf("agents = %+v, %v; want the pool's two, with their capacity", agents, err)
	}
}
