package twin

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/chaos"
)

// TestScore checks the accounting on a hand-made case: two faults, one
// caught by an incident five minutes in and fixed by people before it
// would have ended, one missed; one incident about nothing.
func TestScore(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	plan := chaos.Schedule{
		{ID: "f1", Kind: chaos.SourceErrors, Start: t0, Duration: 4 * time.Hour},
		{ID: "f2", Kind: chaos.VolumeDrop, Start: t0.Add(10 * time.Hour), Duration: time.Hour},
	}
	affected := map[string]map[string]bool{"f1": {"a": true, "b": true}, "f2": {"c": true}}
	eps := []episode{
		{id: "i1", opened: t0.Add(5 * time.Minute), pipelines: map[string]bool{"b": true}, alerts: 12},
		{id: "i2", opened: t0.Add(20 * time.Hour), pipelines: map[string]bool{"c": true}, alerts: 1},
	}
	opts := DefaultOptions()
	rows := []FaultRow{{Detected: map[string]*time.Duration{}}, {Detected: map[string]*time.Duration{}}}
	r := score(eps, plan, affected, opts, rows, "detect")
	// f1: detected after 5 min, fixed 45 min later: recovered at 50 min.
	// f2: missed, recovered at its natural end, after an hour.
	if r.MTTD != 300 || r.MissedFaults != 1 || r.Incidents != 2 || r.FalsePositiveRate != 0.5 || r.AlertsPerIncident != 6.5 {
		t.Fatalf("score %+v", r)
	}
	if want := (50*time.Minute + time.Hour).Seconds() / 2; math.Abs(r.MTTR-want) > 1e-9 {
		t.Fatalf("MTTR %g, want %g", r.MTTR, want)
	}
	if rows[0].Detected["detect"] == nil || *rows[0].Detected["detect"] != 5*time.Minute || rows[1].Detected["detect"] != nil {
		t.Fatalf("rows %+v", rows)
	}
}

// TestTwinIsDeterministic runs a small twin twice on one seed: the same
// figures, every fault kind scheduled, and both modes measured.
func TestTwinIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator twice")
	}
	opts := DefaultOptions()
	opts.Seed, opts.Pipelines, opts.Days, opts.PerKind = 5, 12, 3, 1
	a, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Faults != 11 || len(a.PerFault) != 11 {
		t.Fatalf("%d faults, %d rows; want one of each of the 11 kinds", a.Faults, len(a.PerFault))
	}
	for _, m := range []string{"static", "detect"} {
		if a.Modes[m] != b.Modes[m] {
			t.Fatalf("%s: %+v then %+v", m, a.Modes[m], b.Modes[m])
		}
		if a.Modes[m].Incidents == 0 {
			t.Fatalf("%s saw nothing in a fleet with 11 faults", m)
		}
	}
	if a.MTTRReduction != nil || a.Missing == "" {
		t.Fatal("the auto mode is reported without remediation")
	}
}
