package rca

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Graph is a dependency graph: an edge from A to B means A depends on B
// (B's trouble can show at A). Nodes carry a criticality weight for
// impact.
type Graph struct {
	nodes map[string]int
	names []string
	deps  [][]int // deps[i]: what node i depends on.
	users [][]int // users[i]: what depends on node i.
	crit  []float64
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{nodes: map[string]int{}} }

// AddNode adds a node (again: updates its criticality, 1 when ≤ 0).
func (g *Graph) AddNode(id string, criticality float64) {
	if criticality <= 0 {
		criticality = 1
	}
	if i, ok := g.nodes[id]; ok {
		g.crit[i] = criticality
		return
	}
	g.nodes[id] = len(g.names)
	g.names = append(g.names, id)
	g.deps = append(g.deps, nil)
	g.users = append(g.users, nil)
	g.crit = append(g.crit, criticality)
}

// AddEdge records that from depends on to; both must exist.
func (g *Graph) AddEdge(from, to string) error {
	i, ok1 := g.nodes[from]
	j, ok2 := g.nodes[to]
	if !ok1 || !ok2 {
		return fmt.Errorf("rca: edge %s → %s: unknown node", from, to)
	}
	if !slices.Contains(g.deps[i], j) {
		g.deps[i] = append(g.deps[i], j)
		g.users[j] = append(g.users[j], i)
	}
	return nil
}

// Ranked is a node and its root-cause score.
type Ranked struct {
	Node  string
	Score float64
}

// RankGraph ranks the nodes by a random walk with restart (personalised
// PageRank) that starts at the anomalous nodes in proportion to their
// anomaly scores and steps from a node to what it depends on, restarting
// with probability 0.15; a node that depends on nothing anomalous keeps
// the walk (it is where the trouble may start). Where onsets are known,
// a node whose anomaly began earlier keeps a larger share: at equal
// scores, the first to go wrong is the likelier cause. Anomalies on
// unknown nodes are an error naming them. Cycles are fine.
func (g *Graph) RankGraph(anomaly map[string]float64, onset map[string]float64) ([]Ranked, error) {
	n := len(g.names)
	p := make([]float64, n)
	var total float64
	var unknown []string
	for id, s := range anomaly {
		i, ok := g.nodes[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		if s > 0 && !math.IsNaN(s) {
			p[i] = s
			total += s
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("rca: anomalies on unknown nodes: %s", strings.Join(unknown, ", "))
	}
	if total == 0 {
		return nil, &ErrNoCandidate{}
	}
	// Earlier onsets weigh more: a factor that halves every onset unit
	// later than the earliest.
	if len(onset) > 0 {
		first := math.Inf(1)
		for id, t := range onset {
			if _, ok := g.nodes[id]; ok && anomaly[id] > 0 {
				first = min(first, t)
			}
		}
		total = 0
		for id, t := range onset {
			if i, ok := g.nodes[id]; ok && p[i] > 0 {
				p[i] *= math.Exp2(-(t - first))
			}
		}
		for _, v := range p {
			total += v
		}
	}
	for i := range p {
		p[i] /= total
	}
	const restart = 0.15
	r := slices.Clone(p)
	next := make([]float64, n)
	for range 100 {
		clear(next)
		for i, v := range r {
			if v == 0 {
				continue
			}
			// Step to the dependencies that are anomalous, or stay.
			var w float64
			for _, j := range g.deps[i] {
				w += p[j]
			}
			if w == 0 {
				next[i] += (1 - restart) * v
				continue
			}
			for _, j := range g.deps[i] {
				next[j] += (1 - restart) * v * p[j] / w
			}
		}
		var diff float64
		for i := range next {
			next[i] += restart * p[i]
			diff += math.Abs(next[i] - r[i])
		}
		r, next = next, r
		if diff < 1e-9 {
			break
		}
	}
	var out []Ranked
	for i, v := range r {
		if v > 0 {
			out = append(out, Ranked{Node: g.names[i], Score: v})
		}
	}
	slices.SortFunc(out, func(a, b Ranked) int { return cmpDesc(a.Score, b.Score, a.Node, b.Node) })
	return out, nil
}

// Downstream returns what could be affected by trouble at id, nearest
// first, and the sum of their criticalities: the blast radius.
func (g *Graph) Downstream(id string) ([]string, float64, error) {
	start, ok := g.nodes[id]
	if !ok {
		return nil, 0, fmt.Errorf("rca: unknown node %q", id)
	}
	seen := map[int]bool{start: true}
	queue := []int{start}
	var out []string
	var weight float64
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, u := range g.users[i] {
			if !seen[u] {
				seen[u] = true
				out = append(out, g.names[u])
				weight += g.crit[u]
				queue = append(queue, u)
			}
		}
	}
	return out, weight, nil
}
