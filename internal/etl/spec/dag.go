package spec

import (
	"container/heap"
	"slices"
	"strings"
)

// digraph is a small directed graph over names, used for the task DAG of a
// pipeline and for the dependencies between pipelines. Every answer it gives
// is deterministic: where order is free, names are taken in sort order.
type digraph struct {
	succ map[string][]string
	pred map[string][]string
}

func newDigraph() *digraph {
	return &digraph{succ: map[string][]string{}, pred: map[string][]string{}}
}

// addNode adds a node with no edges, if it is not there yet.
func (g *digraph) addNode(n string) {
	if _, ok := g.succ[n]; !ok {
		g.succ[n] = nil
		g.pred[n] = nil
	}
}

// addEdge adds the edge a -> b (a comes before b), once.
func (g *digraph) addEdge(a, b string) {
	g.addNode(a)
	g.addNode(b)
	if !slices.Contains(g.succ[a], b) {
		g.succ[a] = append(g.succ[a], b)
		g.pred[b] = append(g.pred[b], a)
	}
}

// nodes returns every node in sort order.
func (g *digraph) nodes() []string {
	out := make([]string, 0, len(g.succ))
	for n := range g.succ {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy of ns.
func sorted(ns []string) []string {
	out := slices.Clone(ns)
	slices.Sort(out)
	return out
}

// order returns the nodes in topological order, taking among the nodes ready
// at each step the first by name, or false when the graph has a cycle.
func (g *digraph) order() ([]string, bool) {
	indeg := make(map[string]int, len(g.succ))
	ready := &nameHeap{}
	for _, n := range g.nodes() {
		indeg[n] = len(g.pred[n])
		if indeg[n] == 0 {
			heap.Push(ready, n)
		}
	}
	out := make([]string, 0, len(g.succ))
	for ready.Len() > 0 {
		n := heap.Pop(ready).(string)
		out = append(out, n)
		for _, m := range g.succ[n] {
			indeg[m]--
			if indeg[m] == 0 {
				heap.Push(ready, m)
			}
		}
	}
	return out, len(out) == len(g.succ)
}

// cycles returns one cycle of every strongly connected component that has
// one, as a path that starts and ends at the component's first node by name
// and is as short as possible, such as [a b a]. Components come in order of
// their first node.
func (g *digraph) cycles() [][]string {
	var out [][]string
	for _, comp := range g.components() {
		start := comp[0]
		in := make(map[string]bool, len(comp))
		for _, n := range comp {
			in[n] = true
		}
		if len(comp) == 1 && !slices.Contains(g.succ[start], start) {
			continue
		}
		out = append(out, g.shortestCycle(start, in))
	}
	return out
}

// shortestCycle finds, by breadth-first search within the nodes in, the
// shortest path from start back to start.
func (g *digraph) shortestCycle(start string, in map[string]bool) []string {
	prev := map[string]string{}
	queue := []string{start}
	seen := map[string]bool{start: true}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range sorted(g.succ[n]) {
			if !in[m] {
				continue
			}
			if m == start {
				path := []string{start}
				for at := n; at != start; at = prev[at] {
					path = append(path, at)
				}
				path = append(path, start)
				slices.Reverse(path)
				return path
			}
			if !seen[m] {
				seen[m] = true
				prev[m] = n
				queue = append(queue, m)
			}
		}
	}
	return nil // unreachable for a strongly connected component with a cycle
}

// components returns the strongly connected components (Tarjan's
// algorithm, iteratively so that deep graphs cannot overflow the stack),
// each sorted by name, in order of their first node.
func (g *digraph) components() [][]string {
	var (
		index   = map[string]int{}
		low     = map[string]int{}
		onStack = map[string]bool{}
		stack   []string
		out     [][]string
		next    int
	)
	type frame struct {
		n    string
		succ []string
		i    int
	}
	for _, root := range g.nodes() {
		if _, ok := index[root]; ok {
			continue
		}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		frames := []frame{{n: root, succ: sorted(g.succ[root])}}
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			if f.i < len(f.succ) {
				m := f.succ[f.i]
				f.i++
				if _, ok := index[m]; !ok {
					index[m], low[m] = next, next
					next++
					stack = append(stack, m)
					onStack[m] = true
					frames = append(frames, frame{n: m, succ: sorted(g.succ[m])})
				} else if onStack[m] {
					low[f.n] = min(low[f.n], index[m])
				}
				continue
			}
			n := f.n
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				p := frames[len(frames)-1].n
				low[p] = min(low[p], low[n])
			}
			if low[n] == index[n] {
				var comp []string
				for {
					m := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[m] = false
					comp = append(comp, m)
					if m == n {
						break
					}
				}
				slices.Sort(comp)
				out = append(out, comp)
			}
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// depths returns, for an acyclic graph, the length of the longest path
// that ends at each node: 0 for a node with no predecessor.
func (g *digraph) depths() map[string]int {
	order, _ := g.order()
	d := make(map[string]int, len(order))
	for _, n := range order {
		for _, p := range g.pred[n] {
			d[n] = max(d[n], d[p]+1)
		}
	}
	return d
}

// nameHeap is a min-heap of names.
type nameHeap []string

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *nameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
