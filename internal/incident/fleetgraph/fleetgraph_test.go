package fleetgraph

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/incident"
)

func loadExamples(t *testing.T) *spec.Fleet {
	t.Helper()
	f, err := spec.LoadDir("../../../examples/pipelines")
	if err != nil {
		t.Fatalf("load the example fleet: %v", err)
	}
	return f
}

func TestLineage(t *testing.T) {
	f := loadExamples(t)
	l := New(f, "dataset:warehouse.orders_enriched")
	var _ incident.Topology = l
	var _ incident.Catalog = l
	for _, n := range f.Graph().Nodes() {
		for _, d := range l.Downstream(string(n)) {
			if !slices.Contains(l.Upstream(d), string(n)) {
				t.Errorf("%s is downstream of %s, but not the reverse", d, n)
			}
		}
	}
	if l.Upstream("dataset:nowhere") != nil {
		t.Error("unknown node has an upstream")
	}
	tests := []struct {
		id   string
		want incident.NodeInfo
	}{
		{"pipeline:orders", incident.NodeInfo{Kind: incident.NodePipeline, SLA: true}},
		{"dataset:warehouse.raw_orders", incident.NodeInfo{Kind: incident.NodeDataset}},
		{"dataset:warehouse.orders_enriched", incident.NodeInfo{Kind: incident.NodeDataset, Critical: true}},
		{"task:orders/extract_orders", incident.NodeInfo{Kind: incident.NodeTask}},
		{"agent:a1", incident.NodeInfo{Kind: incident.NodeOther}},
	}
	for _, tt := range tests {
		if got := l.Node(tt.id); got != tt.want {
			t.Errorf("Node(%s) = %+v, want %+v", tt.id, got, tt.want)
		}
	}
}

// TestCascade fails a source dataset and lets every node downstream of it
// complain: one incident, rooted at the dataset.
func TestCascade(t *testing.T) {
	l := New(loadExamples(t))
	m, err := incident.New(incident.Config{}, l, l)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	const root = "dataset:shop.orders_api"
	signals := []incident.Signal{{Kind: incident.KindRunFailure, Subject: "api down", Node: root, Score: 1, At: t0}}
	for i, n := range l.Downstream(root) {
		signals = append(signals, incident.Signal{Kind: incident.KindFreshness, Subject: n, Node: n, Score: 0.8,
			At: t0.Add(time.Duration(i+1) * time.Minute), Labels: map[string]string{"pipeline": spec.NodeID(n).Pipeline()}})
	}
	for _, s := range signals {
		if _, err := m.Process(s); err != nil {
			t.Fatal(err)
		}
	}
	incs := m.Incidents()
	if len(incs) != 1 || incs[0].RootNode != root || len(incs[0].Alerts) != len(signals) {
		t.Fatalf("%d signals gave %d incidents", len(signals), len(incs))
	}
	if incs[0].Severity != incident.SeverityCritical {
		t.Errorf("severity %s, blast %+v", incs[0].Severity, incs[0].Blast)
	}
}
