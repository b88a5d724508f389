package incident

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the start of every scenario.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// fakeGraph is a Topology from a list of edges "a>b".
type fakeGraph struct {
	succ, pred map[string][]string
}

// newFakeGraph builds a graph from edges written "from>to".
func newFakeGraph(edges ...string) *fakeGraph {
	g := &fakeGraph{succ: map[string][]string{}, pred: map[string][]string{}}
	for _, e := range edges {
		from, to, _ := strings.Cut(e, ">")
		g.succ[from] = append(g.succ[from], to)
		g.pred[to] = append(g.pred[to], from)
	}
	return g
}

func (g *fakeGraph) Upstream(n string) []string   { return closure(n, g.pred) }
func (g *fakeGraph) Downstream(n string) []string { return closure(n, g.succ) }

// closure walks next breadth-first from n, nearest first.
func closure(n string, next map[string][]string) []string {
	var out []string
	seen := map[string]bool{n: true}
	queue := []string{n}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range next[x] {
			if !seen[y] {
				seen[y] = true
				out = append(out, y)
				queue = append(queue, y)
			}
		}
	}
	return out
}

// newManager returns a Manager or fails the test.
func newManager(t testing.TB, cfg Config, topo Topology) *Manager {
	t.Helper()
	m, err := New(cfg, topo, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sig returns a firing Signal at t0+off.
func sig(kind Kind, subject, node string, off time.Duration, labels ...string) Signal {
	s := Signal{Kind: kind, Source: "test", Subject: subject, Node: node, Score: 1, At: t0.Add(off)}
	if len(labels) > 0 {
		s.Labels = map[string]string{}
		for i := 0; i+1 < len(labels); i += 2 {
			s.Labels[labels[i]] = labels[i+1]
		}
	}
	return s
}

// cleared returns s as a clear at t0+off.
func cleared(s Signal, off time.Duration) Signal {
	s.Cleared = true
	s.At = t0.Add(off)
	return s
}

// process feeds signals to m and returns every Decision.
func process(t testing.TB, m *Manager, signals ...Signal) []Decision {
	t.Helper()
	var out []Decision
	for _, s := range signals {
		d, err := m.Process(s)
		if err != nil {
			t.Fatalf("process %+v: %v", s, err)
		}
		out = append(out, d...)
	}
	return out
}

// count returns how many decisions are of kind.
func count(ds []Decision, kind DecisionKind) int {
	n := 0
	for _, d := range ds {
		if d.Kind == kind {
			n++
		}
	}
	return n
}

// active returns the incidents not resolved.
func active(m *Manager) []Incident {
	return slices.DeleteFunc(m.Incidents(), func(i Incident) bool { return i.Status == StatusResolved })
}

// mustJSON marshals v or fails the test.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
