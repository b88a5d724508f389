package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// specTopology adapts the lineage graph of the ETL specs to Topology.
type specTopology struct{ g *spec.Graph }

func (t specTopology) Upstream(n string) []string   { return nodeIDs(t.g.Upstream(spec.NodeID(n))) }
func (t specTopology) Downstream(n string) []string { return nodeIDs(t.g.Downstream(spec.NodeID(n))) }

func nodeIDs(ids []spec.NodeID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// specCatalog adapts a fleet to Catalog: pipelines with an SLA count more.
type specCatalog struct{ f *spec.Fleet }

func (c specCatalog) Node(id string) NodeInfo {
	n := spec.NodeID(id)
	info := NodeInfo{Kind: NodeKind(n.Kind())}
	if info.Kind == NodePipeline {
		if p := c.f.Pipeline(n.Name()); p != nil {
			info.SLA = p.SLA > 0
		}
	}
	return info
}

// loadExamples loads the example fleet.
func loadExamples(t testing.TB) *spec.Fleet {
	t.Helper()
	f, err := spec.LoadDir("../../examples/pipelines")
	if err != nil {
		t.Fatalf("load the example fleet: %v", err)
	}
	return f
}

// TestCascade fails an upstream dataset of the example fleet, then sends
// Signals from 15 nodes downstream of it, each several times: they form
// one incident, rooted at the dataset, notified once.
func TestCascade(t *testing.T) {
	f := loadExamples(t)
	g := f.Graph()
	m, err := New(Config{}, specTopology{g}, specCatalog{f})
	if err != nil {
		t.Fatal(err)
	}
	const root = "dataset:warehouse.raw_orders"
	down := nodeIDs(g.Downstream(spec.NodeID(root)))
	if len(down) < 15 {
		t.Fatalf("only %d nodes downstream of %s", len(down), root)
	}
	kinds := []Kind{KindFreshness, KindLateness, KindRunFailure, KindAnomaly}
	signals := []Signal{{Kind: KindRunFailure, Source: "runtime", Subject: "orders/extract_orders", Node: root, Score: 1, At: t0,
		Labels: map[string]string{"pipeline": "orders"}, Evidence: "connection refused"}}
	for rep := range 4 {
		for i, n := range down[:15] {
			signals = append(signals, Signal{
				Kind: kinds[i%len(kinds)], Source: "engine", Subject: n, Node: n, Score: 0.9,
				At:     t0.Add(time.Duration(1+rep*15+i) * time.Minute / 4),
				Labels: map[string]string{"pipeline": spec.NodeID(n).Pipeline()},
			})
		}
	}
	ds := process(t, m, signals...)
	incs := active(m)
	if len(incs) != 1 {
		for _, inc := range incs {
			t.Logf("%s root %s alerts %d", inc.ID, inc.RootNode, len(inc.Alerts))
		}
		t.Fatalf("got %d incidents, want 1", len(incs))
	}
	inc := incs[0]
	if inc.RootNode != root || inc.Alerts[0].Role != RolePrimary {
		t.Errorf("root %s, role %s", inc.RootNode, inc.Alerts[0].Role)
	}
	for _, a := range inc.Alerts[1:] {
		if a.Role != RoleSymptom {
			t.Errorf("%s is %s, want symptom", a.Node, a.Role)
		}
	}
	if compression := float64(len(signals)) / float64(len(incs)); compression < 10 {
		t.Errorf("compression %.1f×, want at least 10×", compression)
	}
	if n := count(ds, DecisionNotify); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
	if inc.Severity != SeverityCritical || inc.Blast.SLAPipelines == 0 {
		t.Errorf("severity %s, blast %+v", inc.Severity, inc.Blast)
	}
	t.Logf("%d signals → %d incident, %d alerts, blast %+v", len(signals), len(incs), len(inc.Alerts), inc.Blast)
}

// TestCascadeSymptomsFirst sends a downstream symptom before its cause:
// the cause becomes the root when it arrives.
func TestCascadeSymptomsFirst(t *testing.T) {
	f := loadExamples(t)
	m, err := New(Config{GroupBy: []string{}}, specTopology{f.Graph()}, specCatalog{f})
	if err != nil {
		t.Fatal(err)
	}
	process(t, m,
		sig(KindFreshness, "kpis", "dataset:reporting.daily_kpis", 0),
		sig(KindLateness, "revenue", "pipeline:revenue_marts", time.Minute),
		sig(KindRunFailure, "orders", "dataset:warehouse.raw_orders", 2*time.Minute))
	incs := active(m)
	if len(incs) != 1 || incs[0].RootNode != "dataset:warehouse.raw_orders" {
		for _, inc := range incs {
			t.Logf("%s root %s", inc.ID, inc.RootNode)
		}
		t.Fatalf("got %d incidents, want 1 rooted at raw_orders", len(incs))
	}
	roles := fmt.Sprint(incs[0].Alerts[0].Role, incs[0].Alerts[1].Role, incs[0].Alerts[2].Role)
	if roles != "symptomsymptomprimary" {
		t.Errorf("roles %s", roles)
	}
}
