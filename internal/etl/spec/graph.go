package spec

import (
	"cmp"
	"slices"
)

// EdgeKind says why one node of the lineage graph feeds another.
type EdgeKind string

// The edge kinds. Every edge points downstream: from what comes first to
// what it feeds.
const (
	// EdgeReads goes from a dataset to a task that reads it.
	EdgeReads EdgeKind = "reads"
	// EdgeWrites goes from a task to a dataset it writes.
	EdgeWrites EdgeKind = "writes"
	// EdgeDependsOn goes from a task to a task of the same pipeline that
	// lists it in depends_on.
	EdgeDependsOn EdgeKind = "depends_on"
	// EdgePartOf goes from a task to its pipeline: a pipeline node stands
	// for the completion of the pipeline's runs, which needs every task.
	EdgePartOf EdgeKind = "part_of"
	// EdgeTriggers goes from what an after: schedule waits for (a pipeline
	// or a dataset) to the tasks that start the runs it triggers, those
	// with no predecessor in their pipeline.
	EdgeTriggers EdgeKind = "triggers"
)

// Edge is one edge of the lineage graph.
type Edge struct {
	From, To NodeID
	Kind     EdgeKind
}

// Graph is the lineage of a fleet: its pipelines, tasks and datasets,
// linked by the edges of EdgeKind, plus the dependencies between whole
// pipelines. It is built once, with the fleet, and is safe for concurrent
// use. Every list it returns is in a fixed order, so that what is computed
// from it is reproducible.
//
// Upstream and Downstream answer "what could have caused trouble here" and
// "what could trouble here affect". They follow the edges, and treat a
// pipeline as the group of its tasks: a pipeline is upstream of a node when
// one of its tasks is, and the upstream of a pipeline is that of its tasks
// together. A pipeline's own tasks are upstream of it, never downstream; a
// task's own pipeline is downstream of it, never upstream. The two are
// mirrors: x is in Upstream(y) exactly when y is in Downstream(x).
type Graph struct {
	nodes    []NodeID
	edges    []Edge
	succ     map[NodeID][]NodeID
	pred     map[NodeID][]NodeID
	members  map[string][]NodeID // pipeline → its tasks, in task order
	producer map[string]NodeID   // dataset → the task that writes it
	readers  map[string][]NodeID // dataset → the tasks that read it
	after    map[NodeID][]string // node → pipelines scheduled after it

	pipelines     *digraph
	pipelineOrder []string
	depth         map[string]int
}

// newGraph builds the graph of checked pipelines.
func newGraph(x *fleetIndex) *Graph {
	g := &Graph{
		succ:     map[NodeID][]NodeID{},
		pred:     map[NodeID][]NodeID{},
		members:  map[string][]NodeID{},
		producer: map[string]NodeID{},
		readers:  map[string][]NodeID{},
		after:    map[NodeID][]string{},
	}
	edges := map[Edge]bool{}
	link := func(from, to NodeID, kind EdgeKind) {
		g.addNode(from)
		g.addNode(to)
		if e := (Edge{From: from, To: to, Kind: kind}); !edges[e] {
			edges[e] = true
			g.edges = append(g.edges, e)
		}
	}
	for _, d := range x.external {
		g.addNode(DatasetID(d))
	}
	for _, p := range x.pipelines {
		pid := PipelineID(p.Name)
		g.addNode(pid)
		tasks := p.taskGraph()
		order, _ := tasks.order() // a checked pipeline has no cycle
		for _, name := range order {
			t, tid := p.Task(name), TaskID(p.Name, name)
			g.members[p.Name] = append(g.members[p.Name], tid)
			link(tid, pid, EdgePartOf)
			for _, d := range t.Inputs {
				link(DatasetID(d), tid, EdgeReads)
				g.readers[d] = append(g.readers[d], tid)
			}
			for _, d := range t.Outputs {
				link(tid, DatasetID(d), EdgeWrites)
				g.producer[d] = tid
			}
			for _, dep := range t.DependsOn {
				link(TaskID(p.Name, dep), tid, EdgeDependsOn)
			}
			if len(tasks.pred[name]) > 0 {
				continue
			}
			for _, a := range p.Schedule.After {
				link(a, tid, EdgeTriggers)
			}
		}
		for _, a := range p.Schedule.After {
			g.after[a] = append(g.after[a], p.Name)
		}
	}
	slices.SortFunc(g.edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Kind, b.Kind))
	})
	for _, e := range g.edges {
		g.succ[e.From] = appendOnce(g.succ[e.From], e.To)
		g.pred[e.To] = appendOnce(g.pred[e.To], e.From)
	}
	for d, r := range g.readers {
		g.readers[d] = sortedIDs(r)
	}
	for a, ps := range g.after {
		g.after[a] = sorted(ps)
	}
	g.nodes = sortedIDs(g.nodes)
	g.pipelines = x.pipelineGraph()
	g.pipelineOrder, _ = g.pipelines.order()
	g.depth = g.pipelines.depths()
	return g
}

func (g *Graph) addNode(id NodeID) {
	if _, ok := g.succ[id]; !ok {
		g.succ[id] = nil
		g.nodes = append(g.nodes, id)
	}
}

// Nodes returns every node, sorted.
func (g *Graph) Nodes() []NodeID { return slices.Clone(g.nodes) }

// Has reports whether id is a node of the graph.
func (g *Graph) Has(id NodeID) bool {
	_, ok := g.succ[id]
	return ok
}

// Edges returns every edge, sorted by From, To and Kind.
func (g *Graph) Edges() []Edge { return slices.Clone(g.edges) }

// Parents returns the nodes with an edge to id, sorted.
func (g *Graph) Parents(id NodeID) []NodeID { return slices.Clone(g.pred[id]) }

// Children returns the nodes id has an edge to, sorted.
func (g *Graph) Children(id NodeID) []NodeID { return slices.Clone(g.succ[id]) }

// Upstream returns every node that could cause trouble at id (see Graph),
// nearest first, then by ID. It returns nil for a node not in the graph.
func (g *Graph) Upstream(id NodeID) []NodeID { return g.closure(id, g.pred, true) }

// Downstream returns every node that trouble at id could affect (see
// Graph), nearest first, then by ID. It returns nil for a node not in the
// graph.
func (g *Graph) Downstream(id NodeID) []NodeID { return g.closure(id, g.succ, false) }

// closure walks next breadth-first from id, or from a pipeline and its
// tasks together, then adds the pipelines of the tasks it reached.
func (g *Graph) closure(id NodeID, next map[NodeID][]NodeID, up bool) []NodeID {
	if !g.Has(id) {
		return nil
	}
	own := id.Pipeline() // the pipeline id is, or belongs to
	sources := []NodeID{id}
	if id.Kind() == NodePipeline {
		sources = append(sources, g.members[own]...)
	}
	dist := map[NodeID]int{}
	level := map[NodeID]int{}
	queue := make([]NodeID, 0, len(sources))
	for _, s := range sources {
		level[s] = 0
		queue = append(queue, s)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range next[n] {
			if _, seen := dist[m]; !seen {
				dist[m] = level[n] + 1
			}
			if _, expanded := level[m]; !expanded {
				level[m] = level[n] + 1
				queue = append(queue, m)
			}
		}
	}
	for n, d := range dist {
		if n.Kind() != NodeTask {
			continue
		}
		q := n.Pipeline()
		if up && q == own {
			continue
		}
		pid := PipelineID(q)
		if cur, ok := dist[pid]; !ok || d < cur {
			dist[pid] = d
		}
	}
	delete(dist, id)
	if id.Kind() == NodePipeline && !up {
		for _, t := range g.members[own] {
			delete(dist, t)
		}
	}
	out := make([]NodeID, 0, len(dist))
	for n := range dist {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b NodeID) int { return cmp.Or(cmp.Compare(dist[a], dist[b]), cmp.Compare(a, b)) })
	return out
}

// Producer returns the task that writes dataset, if a task does; an
// external dataset has none.
func (g *Graph) Producer(dataset string) (NodeID, bool) {
	id, ok := g.producer[dataset]
	return id, ok
}

// Consumers returns the tasks that read dataset, sorted.
func (g *Graph) Consumers(dataset string) []NodeID { return slices.Clone(g.readers[dataset]) }

// Triggered returns the pipelines whose after: schedule lists id, sorted:
// those the controller must consider when id has new data.
func (g *Graph) Triggered(id NodeID) []string { return slices.Clone(g.after[id]) }

// Tasks returns the tasks of a pipeline in the order of Pipeline.TaskOrder.
func (g *Graph) Tasks(pipeline string) []NodeID { return slices.Clone(g.members[pipeline]) }

// PipelineParents returns the pipelines the named one depends on directly,
// sorted: those it runs after, and those that write what it reads or waits
// for.
func (g *Graph) PipelineParents(pipeline string) []string {
	return sorted(g.pipelines.pred[pipeline])
}

// PipelineChildren returns the pipelines that depend directly on the named
// one, sorted.
func (g *Graph) PipelineChildren(pipeline string) []string {
	return sorted(g.pipelines.succ[pipeline])
}

// PipelineOrder returns every pipeline in an order that respects their
// dependencies, taking the first by name among those ready together.
func (g *Graph) PipelineOrder() []string { return slices.Clone(g.pipelineOrder) }

// Depth returns the length of the longest chain of pipelines that the named
// one depends on: 0 for a pipeline that depends on none, and -1 for one not
// in the fleet.
func (g *Graph) Depth(pipeline string) int {
	if _, ok := g.pipelines.succ[pipeline]; !ok {
		return -1
	}
	return g.depth[pipeline]
}

// MaxDepth returns the greatest Depth of the fleet's pipelines, or -1 for
// an empty fleet.
func (g *Graph) MaxDepth() int {
	m := -1
	for _, p := range g.pipelineOrder {
		m = max(m, g.depth[p])
	}
	return m
}

// appendOnce appends id unless it is already last: edges are added in
// sorted order, so a repeat can only be the last one added.
func appendOnce(ids []NodeID, id NodeID) []NodeID {
	if len(ids) > 0 && ids[len(ids)-1] == id {
		return ids
	}
	return append(ids, id)
}

func sortedIDs(ids []NodeID) []NodeID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
