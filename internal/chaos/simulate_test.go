package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl"
)

// TestSimulateWithFaults runs etl.Simulate with a seeded fault plan wired
// in through SimOptions.Wrap: faults are injected and recorded, the
// outcome differs from the run without faults, and the same seed gives
// the same simulation and the same ground truth.
func TestSimulateWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates two days of a fleet three times")
	}
	const pipelines, days, agents = 8, 2, 3
	start := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	fleet, err := etl.GenerateFleet(pipelines, 5)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := 1; i <= agents; i++ {
		names = append(names, fmt.Sprintf("embedded-%02d", i))
	}
	run := func(withFaults bool) (string, int) {
		t.Helper()
		opts := etl.SimOptions{Pipelines: pipelines, Days: days, Seed: 5, Agents: agents, Slots: 2, Start: start, Logger: slog.New(slog.DiscardHandler)}
		truth := &Truths{}
		if withFaults {
			plan, err := Plan(5, FleetTargets(fleet, names), start, days, 2)
			if err != nil {
				t.Fatal(err)
			}
			inj, err := New(Options{Schedule: plan, Truth: truth, Fleet: fleet})
			if err != nil {
				t.Fatal(err)
			}
			opts.Wrap = inj.Wrap
		}
		res, err := etl.Simulate(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return res.Digest, len(truth.Records())
	}
	clean, none := run(false)
	faulty, n := run(true)
	again, n2 := run(true)
	if none != 0 || n == 0 {
		t.Fatalf("ground truth records: %d without faults, %d with", none, n)
	}
	if clean == faulty {
		t.Fatal("faults changed nothing in the simulation")
	}
	if faulty != again || n != n2 {
		t.Fatalf("same seed, different outcome: %s/%d vs %s/%d", faulty, n, again, n2)
	}
}
