package rca

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func comp(m string) string { c, _, _ := strings.Cut(m, "_"); return strings.TrimSuffix(c, "-db") }

// synthetic returns a case of 10 components × 3 metrics with noise, where
// cause's cpu jumps and its dependents' latency rises a little.
func synthetic(seed uint64, cause int) (normal, anomalous map[string][]float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	normal, anomalous = map[string][]float64{}, map[string][]float64{}
	for c := range 10 {
		for _, m := range []string{"cpu", "mem", "lat"} {
			name := fmt.Sprintf("svc%d_%s", c, m)
			base := 10 + 5*r.Float64()
			for range 120 {
				normal[name] = append(normal[name], base+r.NormFloat64())
			}
			for range 60 {
				v := base + r.NormFloat64()
				switch {
				case c == cause && m == "cpu":
					v += 8
				case c == cause+1 && m == "lat":
					v += 3 // A symptom downstream.
				}
				anomalous[name] = append(anomalous[name], v)
			}
		}
	}
	return normal, anomalous
}

func TestRankMetrics(t *testing.T) {
	hits := 0
	for seed := range uint64(20) {
		cause := int(seed % 9)
		n, a := synthetic(seed, cause)
		causes, err := RankMetrics(n, a, comp)
		if err != nil {
			t.Fatal(err)
		}
		if causes[0].Component == fmt.Sprintf("svc%d", cause) {
			hits++
		}
		if c := causes[0]; c.Evidence[0].Metric != fmt.Sprintf("svc%d_cpu", cause) && c.Component == fmt.Sprintf("svc%d", cause) || c.Confidence <= 0 || c.Confidence > 1 {
			t.Errorf("seed %d: %+v", seed, c)
		}
	}
	if hits < 19 {
		t.Fatalf("the cause ranked first in %d of 20 cases", hits)
	}
}

func TestRankMetricsBadInput(t *testing.T) {
	if _, err := RankMetrics(map[string][]float64{"a_x": {1}}, map[string][]float64{"b_y": {2}}, comp); err == nil {
		t.Fatal("no common metric accepted")
	}
	// Flat before the onset: a fallback spread, marked; NaN ignored.
	causes, err := RankMetrics(map[string][]float64{"a_x": {5, 5, 5, math.NaN()}}, map[string][]float64{"a_x": {9}}, comp)
	if err != nil || !causes[0].Evidence[0].Flat || causes[0].Evidence[0].Scale <= 0 {
		t.Fatalf("flat metric: %+v, %v", causes, err)
	}
	// Nothing moved: say so, with what was checked.
	_, err = RankMetrics(map[string][]float64{"a_x": {1, 2, 3, 4}}, map[string][]float64{"a_x": {2.5}}, comp)
	var none *ErrNoCandidate
	if !errors.As(err, &none) || len(none.Checked) != 1 {
		t.Fatalf("no candidate: %v", err)
	}
}

func TestRankGraph(t *testing.T) {
	g := NewGraph()
	for _, n := range []string{"front", "orders", "db", "cache"} {
		g.AddNode(n, 1)
	}
	for _, e := range [][2]string{{"front", "orders"}, {"orders", "db"}, {"front", "cache"}, {"cache", "front"}} { // A cycle too.
		if err := g.AddEdge(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.AddEdge("front", "nowhere"); err == nil {
		t.Fatal("an edge to an unknown node was accepted")
	}
	// The symptoms are louder upstream; the walk leads to the database,
	// whose trouble also started first.
	r, err := g.RankGraph(map[string]float64{"front": 5, "orders": 4, "db": 3}, map[string]float64{"front": 2, "orders": 1, "db": 0})
	if err != nil || r[0].Node != "db" {
		t.Fatalf("ranking %+v, %v", r, err)
	}
	if _, err := g.RankGraph(map[string]float64{"ghost": 1}, nil); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("unknown node: %v", err)
	}
	var none *ErrNoCandidate
	if _, err := g.RankGraph(map[string]float64{"front": 0}, nil); !errors.As(err, &none) {
		t.Fatalf("nothing anomalous: %v", err)
	}
	down, w, err := g.Downstream("db")
	if err != nil || len(down) != 3 || w != 3 || down[0] != "orders" { // orders, front, and cache, which depends on front.
		t.Fatalf("downstream of db: %v %g %v", down, w, err)
	}
}

// TestRankGraphLarge ranks a graph of 10,000 nodes and 50,000 edges; the
// time is logged, not asserted.
func TestRankGraphLarge(t *testing.T) {
	g := NewGraph()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 10000 {
		g.AddNode(fmt.Sprint(i), 1)
	}
	for range 50000 {
		a, b := r.IntN(10000), r.IntN(10000)
		_ = g.AddEdge(fmt.Sprint(a), fmt.Sprint(b))
	}
	anomaly := map[string]float64{}
	for range 300 {
		anomaly[fmt.Sprint(r.IntN(10000))] = 1 + r.Float64()
	}
	start := time.Now()
	out, err := g.RankGraph(anomaly, nil)
	if err != nil || len(out) == 0 {
		t.Fatal(err)
	}
	t.Logf("10k nodes, 50k edges ranked in %s", time.Since(start))
}
