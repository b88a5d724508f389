package incident

import (
	"encoding/json"
	"testing"
	"time"
)

// mixedScenario exercises lineage, grouping, silences, inhibition,
// flapping and resolution; its first half stops after cut Signals.
func mixedScenario() (cfg Config, topo Topology, silence Silence, signals []Signal, ticks []time.Duration) {
	cfg = Config{
		MinDuration: 2 * time.Minute, FlapThreshold: 3,
		Inhibit: []InhibitRule{{
			Source: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "run_failure"}},
			Target: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "anomaly"}},
			Equal:  []string{"pipeline"},
		}},
	}
	topo = newFakeGraph("dataset:raw>pipeline:stg", "pipeline:stg>dataset:stg", "dataset:stg>pipeline:mart")
	silence = Silence{ID: "m", Matchers: Matchers{{Name: "pipeline", Type: MatchEqual, Value: "crm"}},
		StartsAt: t0, EndsAt: t0.Add(20 * time.Minute), CreatedBy: "ann"}
	flap := sig(KindAnomaly, "flappy", "", 0, "pipeline", "billing")
	signals = []Signal{
		sig(KindRunFailure, "raw", "dataset:raw", 0, "pipeline", "ingest"),
		sig(KindAnomaly, "rows", "", time.Minute, "pipeline", "ingest"),
		sig(KindFreshness, "stg", "dataset:stg", 2*time.Minute, "pipeline", "stg"),
		sig(KindAnomaly, "crm", "", 3*time.Minute, "pipeline", "crm"),
		flap, cleared(flap, 4*time.Minute),
	}
	for i := range 4 {
		on := time.Duration(5+2*i) * time.Minute
		f := flap
		f.At = t0.Add(on)
		signals = append(signals, f, cleared(f, on+time.Minute))
	}
	signals = append(signals, sig(KindLateness, "mart", "pipeline:mart", 15*time.Minute, "pipeline", "mart"))
	ticks = []time.Duration{3 * time.Minute, 10 * time.Minute, 25 * time.Minute, 60 * time.Minute}
	return cfg, topo, silence, signals, ticks
}

// run plays signals, ticking at each tick offset once the Signals before
// it are in, and returns the Decisions as JSON.
func run(t *testing.T, m *Manager, signals []Signal, ticks []time.Duration) string {
	t.Helper()
	var ds []Decision
	for _, s := range signals {
		for len(ticks) > 0 && t0.Add(ticks[0]).Before(s.At) {
			ds = append(ds, m.Tick(t0.Add(ticks[0]))...)
			ticks = ticks[1:]
		}
		ds = append(ds, process(t, m, s)...)
	}
	for _, tk := range ticks {
		ds = append(ds, m.Tick(t0.Add(tk))...)
	}
	return mustJSON(t, ds)
}

func TestDeterminism(t *testing.T) {
	var first, firstState string
	for i := range 3 {
		cfg, topo, sil, signals, ticks := mixedScenario()
		m := newManager(t, cfg, topo)
		if err := m.AddSilence(sil); err != nil {
			t.Fatal(err)
		}
		got, state := run(t, m, signals, ticks), mustJSON(t, m.Snapshot())
		if i == 0 {
			first, firstState = got, state
			continue
		}
		if got != first || state != firstState {
			t.Fatalf("run %d differs:\n%s\n%s", i, got, first)
		}
	}
	var ds []Decision
	if err := json.Unmarshal([]byte(first), &ds); err != nil {
		t.Fatal(err)
	}
	for _, k := range []DecisionKind{DecisionOpen, DecisionNotify, DecisionFlapping, DecisionResolve} {
		if count(ds, k) == 0 {
			t.Errorf("scenario has no %s decision", k)
		}
	}
}

// TestSnapshotRestore snapshots a Manager half-way through the scenario
// as JSON, restores it, and checks that the rest plays the same as on a
// Manager that never stopped.
func TestSnapshotRestore(t *testing.T) {
	cfg, topo, sil, signals, ticks := mixedScenario()
	const cut = 7
	whole := newManager(t, cfg, topo)
	half := newManager(t, cfg, topo)
	for _, m := range []*Manager{whole, half} {
		if err := m.AddSilence(sil); err != nil {
			t.Fatal(err)
		}
		run(t, m, signals[:cut], nil)
	}
	b, err := json.Marshal(half.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(cfg, topo, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, restored.Snapshot()), mustJSON(t, whole.Snapshot()); a != b {
		t.Fatalf("restored state differs:\n%s\n%s", a, b)
	}
	want := run(t, whole, signals[cut:], ticks)
	if got := run(t, restored, signals[cut:], ticks); got != want {
		t.Errorf("after restore:\n%s\nwant\n%s", got, want)
	}
	if a, b := mustJSON(t, restored.Snapshot()), mustJSON(t, whole.Snapshot()); a != b {
		t.Errorf("final states differ")
	}
}

func TestRestoreRejectsDuplicates(t *testing.T) {
	st := State{Incidents: []Incident{{ID: "inc-1", Status: StatusOpen}, {ID: "inc-1", Status: StatusOpen}}}
	if _, err := Restore(Config{}, nil, nil, st); err == nil {
		t.Error("duplicate incidents restored")
	}
}
