package chaos

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl"
)

// fleetTargets returns the targets of a generated fleet of n pipelines run
// by six agents, as the simulator names them.
func fleetTargets(t *testing.T, n int, seed int64) Targets {
	t.Helper()
	fleet, err := etl.GenerateFleet(n, seed)
	if err != nil {
		t.Fatal(err)
	}
	var agents []string
	for i := range 6 {
		agents = append(agents, fmt.Sprintf("embedded-%02d", i))
	}
	return FleetTargets(fleet, agents)
}

func TestFleetTargets(t *testing.T) {
	tg := fleetTargets(t, 12, 3)
	if len(tg.Pipelines) != 12 || len(tg.Agents) != 6 {
		t.Fatalf("%d pipelines and %d agents, want 12 and 6", len(tg.Pipelines), len(tg.Agents))
	}
	for name, list := range map[string][]string{"tasks": tg.Tasks, "source endpoints": tg.SourceEndpoints, "sink endpoints": tg.SinkEndpoints, "datasets": tg.Datasets} {
		if len(list) == 0 {
			t.Errorf("no %s", name)
		}
		if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
			t.Errorf("%s are not sorted and unique: %v", name, list)
		}
	}
	if !slices.Contains(tg.SinkEndpoints, "sqlite:warehouse.db") {
		t.Errorf("sink endpoints %v lack sqlite:warehouse.db", tg.SinkEndpoints)
	}
	for _, d := range tg.Datasets {
		if !strings.HasPrefix(d, "raw.") {
			t.Errorf("dataset %s is not extracted from a source", d)
		}
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	tg := fleetTargets(t, 50, 1)
	plan := func(seed int64) string {
		s, err := Plan(seed, tg, t0, 7, 4)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a, b := plan(42), plan(42); a != b {
		t.Fatal("the same seed planned two schedules")
	}
	if plan(42) == plan(43) {
		t.Fatal("seeds 42 and 43 planned the same schedule")
	}
}

// TestPlanCoverage checks, over several seeds, that a plan has the faults
// it promises: enough of every kind, every column change, overlaps, quiet
// days, all inside the period, and every type of target somewhere.
func TestPlanCoverage(t *testing.T) {
	tg := fleetTargets(t, 50, 1)
	const days, perKind = 7, 4
	end := t0.Add(days * 24 * time.Hour)
	targetTypes := map[TargetType]int{}
	for seed := range int64(20) {
		s, err := Plan(seed, tg, t0, days, perKind)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("seed %d: invalid plan: %v", seed, err)
		}
		if len(s) < 40 {
			t.Errorf("seed %d: %d faults, want at least 40", seed, len(s))
		}
		perKindSeen := map[Kind]int{}
		changes := map[ColumnChange]bool{}
		for i, f := range s {
			perKindSeen[f.Kind]++
			targetTypes[f.Target.Type]++
			if f.Kind == SchemaChange {
				changes[f.Change] = true
			}
			if f.Start.Before(t0) || f.End().After(end) {
				t.Errorf("seed %d: fault %s (%s to %s) leaves the period", seed, f.ID, f.Start, f.End())
			}
			if want := fmt.Sprintf("f%03d", i+1); f.ID != want || i > 0 && f.Start.Before(s[i-1].Start) {
				t.Errorf("seed %d: fault %d is %s at %s, want %s in order of starts", seed, i, f.ID, f.Start, want)
			}
		}
		for _, k := range Kinds() {
			if perKindSeen[k] < perKind {
				t.Errorf("seed %d: %d faults of kind %s, want %d", seed, perKindSeen[k], k, perKind)
			}
		}
		if len(changes) != len(columnChanges) {
			t.Errorf("seed %d: column changes %v, want all of %v", seed, changes, columnChanges)
		}
		if n := overlaps(s); n == 0 {
			t.Errorf("seed %d: no faults overlap", seed)
		}
		if q := s.QuietDays(t0, days); len(q) < 1 || len(q) > 3 {
			t.Errorf("seed %d: %d quiet days, want 1 to 3", seed, len(q))
		}
	}
	for _, typ := range []TargetType{TargetPipeline, TargetTask, TargetEndpoint, TargetDataset, TargetAgent} {
		if targetTypes[typ] == 0 {
			t.Errorf("no plan has a %s target: %v", typ, targetTypes)
		}
	}
}

// overlaps counts the pairs of faults active at once.
func overlaps(s Schedule) int {
	n := 0
	for i, a := range s {
		for _, b := range s[i+1:] {
			if a.Start.Before(b.End()) && b.Start.Before(a.End()) {
				n++
			}
		}
	}
	return n
}

func TestPlanErrors(t *testing.T) {
	tg := fleetTargets(t, 5, 1)
	f := func(want string, tg Targets, days, perKind int) {
		t.Helper()
		_, err := Plan(1, tg, t0, days, perKind)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Plan(days %d, per kind %d): %v, want an error containing %q", days, perKind, err, want)
		}
	}
	f("at least 2", tg, 1, 4)
	f("per kind", tg, 7, 0)
	noAgents := tg
	noAgents.Agents = nil
	f("agent_crash to strike: targets has no agent", noAgents, 7, 4)
	// Without endpoints, source faults fall on tasks and pipelines.
	noEndpoints := tg
	noEndpoints.SourceEndpoints = nil
	s, err := Plan(1, noEndpoints, t0, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, flt := range s {
		if flt.Kind.side() == sideSource && flt.Target.Type == TargetEndpoint {
			t.Errorf("fault %s targets an endpoint, and there is none", flt.ID)
		}
	}
}
