package incident

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// stormSignal returns the i-th Signal of a storm of n within a minute:
// every one a new fingerprint, over 5000 pipelines.
func stormSignal(i, n int) Signal {
	kinds := []Kind{KindAnomaly, KindFreshness, KindLateness, KindRunFailure}
	return Signal{
		Kind: kinds[i%len(kinds)], Source: "engine", Subject: fmt.Sprintf("series-%d", i),
		Labels:   map[string]string{"pipeline": fmt.Sprintf("p%d", i%5000), "instance": fmt.Sprint(i)},
		Score:    0.9,
		At:       t0.Add(time.Duration(i) * time.Minute / time.Duration(n)),
		Evidence: "value far outside the expected range",
	}
}

// retained counts the alerts a Manager stores and the Signals it
// accounts for.
func retained(m *Manager) (alerts, signals int) {
	for _, inc := range m.Incidents() {
		alerts += len(inc.Alerts)
		signals += inc.Signals
	}
	return alerts, signals
}

func TestStormIsBounded(t *testing.T) {
	const n = 100_000
	cfg := Config{MaxOpenIncidents: 500, MaxAlertsPerIncident: 20}
	m := newManager(t, cfg, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	decisions := 0
	for i := range n {
		ds, err := m.Process(stormSignal(i, n))
		if err != nil {
			t.Fatal(err)
		}
		decisions += len(ds)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	incs := m.Incidents()
	alerts, signals := retained(m)
	if len(incs) != cfg.MaxOpenIncidents+1 {
		t.Errorf("%d incidents, want %d and the overflow incident", len(incs), cfg.MaxOpenIncidents)
	}
	if max := (cfg.MaxOpenIncidents + 1) * cfg.MaxAlertsPerIncident; alerts > max || len(m.alerts) != alerts {
		t.Errorf("%d alerts retained (%d indexed), want at most %d", alerts, len(m.alerts), max)
	}
	if signals != n {
		t.Errorf("incidents account for %d Signals, want %d: some were dropped silently", signals, n)
	}
	last := incs[len(incs)-1]
	if last.GroupKey != overflowKey || last.Overflow[KindAnomaly] == 0 {
		t.Errorf("overflow incident %s: group %s, overflow %v", last.ID, last.GroupKey, last.Overflow)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 64<<20 {
		t.Errorf("heap grew by %d MiB", grown>>20)
	}
	t.Logf("%d signals → %d incidents, %d alerts, %d decisions, heap +%d KiB", n, len(incs), alerts, decisions, grown>>10)

	// Every incident is full: a second storm of new fingerprints adds
	// nothing retained, and is still counted.
	for i := range n {
		s := stormSignal(i, n)
		s.Subject += "-again"
		if _, err := m.Process(s); err != nil {
			t.Fatal(err)
		}
	}
	again, signals := retained(m)
	if again != alerts || len(m.Incidents()) != len(incs) || signals != 2*n {
		t.Errorf("second storm: %d alerts (was %d), %d incidents, %d signals", again, alerts, len(m.Incidents()), signals)
	}
}

// TestStormOneGroup sends a storm on one pipeline: one incident, its
// alerts capped, the rest counted.
func TestStormOneGroup(t *testing.T) {
	const n = 100_000
	m := newManager(t, Config{MaxAlertsPerIncident: 100}, nil)
	for i := range n {
		s := stormSignal(i, n)
		s.Labels["pipeline"] = "orders"
		if _, err := m.Process(s); err != nil {
			t.Fatal(err)
		}
	}
	incs := m.Incidents()
	if len(incs) != 1 || len(incs[0].Alerts) != 100 || incs[0].Signals != n {
		t.Fatalf("%d incidents; first has %d alerts and %d signals", len(incs), len(incs[0].Alerts), incs[0].Signals)
	}
	over := 0
	for _, c := range incs[0].Overflow {
		over += c
	}
	if over != n-100 {
		t.Errorf("overflow counts %d, want %d", over, n-100)
	}
	b, err := json.Marshal(m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1<<20 {
		t.Errorf("snapshot is %d bytes", len(b))
	}
}

// TestResolvedAreBounded checks that resolved incidents are forgotten
// beyond the limit, oldest first.
func TestResolvedAreBounded(t *testing.T) {
	m := newManager(t, Config{MaxResolved: 3, GroupBy: []string{}}, nil)
	for i := range 10 {
		process(t, m, sig(KindAnomaly, fmt.Sprint(i), "", 0))
		if _, err := m.Resolve(fmt.Sprintf("inc-%06d", i+1), "ann", "", t0); err != nil {
			t.Fatal(err)
		}
	}
	incs := m.Incidents()
	if len(incs) != 3 || incs[0].ID != "inc-000008" || len(m.byID) != 3 {
		t.Errorf("kept %d resolved, first %s", len(incs), incs[0].ID)
	}
	if _, ok := m.Incident("inc-000001"); ok {
		t.Error("oldest resolved incident still held")
	}
}

func BenchmarkProcess(b *testing.B) {
	m := newManager(b, Config{}, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.Process(stormSignal(i%100_000, 100_000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
