package incident

import (
	"testing"
	"time"
)

// TestDriftIsEvidenceOnly checks that a drift alone opens no incident, and
// that one on a pipeline with an open incident joins it.
func TestDriftIsEvidenceOnly(t *testing.T) {
	m, err := New(DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	drift := Signal{Kind: KindDrift, Source: "engine", Subject: `rows{pipeline="orders"}`, Labels: map[string]string{"pipeline": "orders"}, Score: 1, At: at, Node: "pipeline:orders"}
	ds, err := m.Process(drift)
	if err != nil || len(ds) != 0 || len(m.Incidents()) != 0 || m.EvidenceDropped() != 1 {
		t.Fatalf("a drift alone: decisions %v, err %v, %d incidents, %d dropped", ds, err, len(m.Incidents()), m.EvidenceDropped())
	}
	fail := Signal{Kind: KindRunFailure, Source: "etl", Subject: "pipeline orders", Labels: map[string]string{"pipeline": "orders"}, Score: 1, At: at.Add(time.Minute), Node: "pipeline:orders"}
	if _, err := m.Process(fail); err != nil {
		t.Fatal(err)
	}
	drift.At = at.Add(2 * time.Minute)
	if _, err := m.Process(drift); err != nil {
		t.Fatal(err)
	}
	incs := m.Incidents()
	if len(incs) != 1 || len(incs[0].Alerts) != 2 || incs[0].Alerts[1].Kind != KindDrift {
		t.Fatalf("the drift did not join the open incident: %+v", incs)
	}
	// An empty list lets drifts open incidents.
	cfg := DefaultConfig()
	cfg.EvidenceOnly = []Kind{}
	m, _ = New(cfg, nil, nil)
	if _, err := m.Process(drift); err != nil || len(m.Incidents()) != 1 {
		t.Fatalf("with no evidence-only kinds, a drift opened %d incidents (%v)", len(m.Incidents()), err)
	}
}
