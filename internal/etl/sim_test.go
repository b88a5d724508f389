package etl

import (
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"gopkg.in/yaml.v3"
)

func TestLayerCounts(t *testing.T) {
	for n := 1; n <= 120; n++ {
		counts := layerCounts(n)
		total := 0
		for _, c := range counts {
			if c < 1 {
				t.Fatalf("layerCounts(%d) = %v: a level is empty", n, counts)
			}
			total += c
		}
		if total != n || len(counts) != min(n, len(simLayers)) {
			t.Fatalf("layerCounts(%d) = %v, want %d pipelines in %d levels", n, counts, n, min(n, len(simLayers)))
		}
	}
}

func TestGenerateFleet(t *testing.T) {
	fleet, err := GenerateFleet(50, 7)
	if err != nil {
		t.Fatalf("GenerateFleet: %v", err)
	}
	if got := len(fleet.Pipelines()); got != 50 {
		t.Fatalf("%d pipelines, want 50", got)
	}
	if d := fleet.Graph().MaxDepth(); d < 4 {
		t.Errorf("lineage depth %d, want at least 4", d)
	}
	kinds := map[spec.ScheduleKind]int{}
	for _, p := range fleet.Pipelines() {
		kinds[p.Schedule.Kind()]++
		if _, err := newDAG(p); err != nil {
			t.Errorf("pipeline %s: %v", p.Name, err)
		}
	}
	for _, k := range []spec.ScheduleKind{spec.ScheduleCron, spec.ScheduleInterval, spec.ScheduleAfter} {
		if kinds[k] == 0 {
			t.Errorf("no pipeline has a %s schedule: %v", k, kinds)
		}
	}
	again, err := GenerateFleet(50, 7)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := marshalFleet(t, fleet), marshalFleet(t, again); a != b {
		t.Error("the same seed generated two different fleets")
	}
	other, err := GenerateFleet(50, 8)
	if err != nil {
		t.Fatal(err)
	}
	if marshalFleet(t, fleet) == marshalFleet(t, other) {
		t.Error("two seeds generated the same fleet")
	}
	for n := 1; n <= 6; n++ {
		if _, err := GenerateFleet(n, 1); err != nil {
			t.Errorf("GenerateFleet(%d): %v", n, err)
		}
	}
	if _, err := GenerateFleet(0, 1); err == nil {
		t.Error("GenerateFleet(0) succeeded")
	}
}

func marshalFleet(t *testing.T, f *spec.Fleet) string {
	t.Helper()
	b, err := yaml.Marshal(f.Pipelines())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSimulateDeterministic runs the simulation of the brief, 50 pipelines
// for 7 days, twice with one seed and once with another, and reports how
// long each took. With -short it simulates 5 pipelines for a day.
func TestSimulateDeterministic(t *testing.T) {
	opts := SimOptions{Pipelines: 50, Days: 7, Seed: 42}
	if testing.Short() {
		opts.Pipelines, opts.Days = 5, 1
	}
	simulate := func(seed int64) SimResult {
		t.Helper()
		o := opts
		o.Seed = seed
		start := time.Now()
		res, err := Simulate(t.Context(), o)
		if err != nil {
			t.Fatalf("simulate with seed %d: %v", seed, err)
		}
		t.Logf("seed %d: %d pipelines (lineage depth %d) for %v: %d runs %v, %d tasks %v, %d attempts, %d steps, in %.1fs wall; digest %s",
			seed, res.Pipelines, res.LineageDepth, res.Simulated, res.Runs, res.RunsByState, res.Tasks, res.TasksByState,
			res.Attempts, res.Steps, time.Since(start).Seconds(), res.Digest)
		return res
	}
	first, second, other := simulate(42), simulate(42), simulate(43)
	if first.Digest != second.Digest {
		t.Errorf("the same seed gave digests %s and %s", first.Digest, second.Digest)
	}
	if first.Digest == other.Digest {
		t.Errorf("seeds 42 and 43 gave the same digest %s", first.Digest)
	}
	if first.Runs == 0 || first.LineageDepth < 4 {
		t.Errorf("simulation %+v: want runs and a lineage depth of 4", first)
	}
	if !testing.Short() && first.Attempts <= first.Tasks {
		t.Errorf("simulation %+v: want some retries in a week", first)
	}
}
