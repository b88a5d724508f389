package spec

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// smallFleet is three pipelines in a chain: a lands and stages data, b runs
// after a and builds a mart, c runs when the mart changes and checks it.
func smallFleet(t *testing.T, order ...int) *Fleet {
	t.Helper()
	specs := []string{
		"name: a\nschedule: {interval: 1h}\ntasks:\n" +
			sqlTask("stage", "w.raw", "w.stg") +
			sqlTask("extract", "ext.src", "w.raw") +
			"  - {name: audit, kind: load, sql: {connector: sqlite, statement: x}, depends_on: [extract]}\n",
		"name: b\nschedule: {after: [pipeline:a]}\ntasks:\n" + sqlTask("build", "w.stg", "w.mart"),
		"name: c\nschedule: {after: ['dataset:w.mart']}\ntasks:\n" +
			"  - {name: report, kind: check, inputs: [w.mart], source: {connector: sqlite}, assert: [rows > 0]}\n",
	}
	if order == nil {
		order = []int{0, 1, 2}
	}
	var ps []*Pipeline
	for _, i := range order {
		p, err := Parse(fmt.Sprintf("%d.yaml", i), []byte(specs[i]))
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	f, err := NewFleet(ps, []string{"ext.src"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ids(s string) []NodeID {
	var out []NodeID
	for _, f := range strings.Fields(s) {
		out = append(out, NodeID(f))
	}
	return out
}

func TestGraphClosures(t *testing.T) {
	g := smallFleet(t).Graph()
	f := func(name string, got []NodeID, want string) {
		t.Helper()
		if !slices.Equal(got, ids(want)) {
			t.Fatalf("%s =\n\t%v\nwant\n\t%v", name, got, ids(want))
		}
	}
	f("Upstream(task:b/build)", g.Upstream("task:b/build"),
		"dataset:w.stg pipeline:a task:a/audit task:a/extract task:a/stage dataset:ext.src dataset:w.raw")
	f("Upstream(task:a/audit)", g.Upstream("task:a/audit"), "task:a/extract dataset:ext.src")
	f("Upstream(pipeline:c)", g.Upstream("pipeline:c"),
		"dataset:w.mart task:c/report pipeline:b task:b/build dataset:w.stg pipeline:a "+
			"task:a/audit task:a/extract task:a/stage dataset:ext.src dataset:w.raw")
	f("Upstream(dataset:w.stg)", g.Upstream("dataset:w.stg"),
		"pipeline:a task:a/stage dataset:w.raw task:a/extract dataset:ext.src")
	f("Upstream(dataset:ext.src)", g.Upstream("dataset:ext.src"), "")
	f("Downstream(dataset:w.raw)", g.Downstream("dataset:w.raw"),
		"pipeline:a task:a/stage dataset:w.stg pipeline:b task:b/build dataset:w.mart pipeline:c task:c/report")
	f("Downstream(pipeline:a)", g.Downstream("pipeline:a"),
		"dataset:w.raw dataset:w.stg pipeline:b task:b/build dataset:w.mart pipeline:c task:c/report")
	f("Downstream(task:a/audit)", g.Downstream("task:a/audit"),
		"pipeline:a pipeline:b task:b/build dataset:w.mart pipeline:c task:c/report")
	f("Downstream(pipeline:c)", g.Downstream("pipeline:c"), "")
	f("Upstream(unknown)", g.Upstream("pipeline:zzz"), "")
	f("Downstream(unknown)", g.Downstream("dataset:w.nope"), "")
}

func TestGraphRelations(t *testing.T) {
	g := smallFleet(t).Graph()
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
	}
	check("Tasks(a)", g.Tasks("a"), ids("task:a/extract task:a/audit task:a/stage"))
	check("Tasks(zzz)", g.Tasks("zzz"), ids(""))
	check("Parents(pipeline:a)", g.Parents("pipeline:a"), ids("task:a/audit task:a/extract task:a/stage"))
	check("Children(dataset:w.mart)", g.Children("dataset:w.mart"), ids("task:c/report"))
	check("Children(pipeline:a)", g.Children("pipeline:a"), ids("task:b/build"))
	producer, ok := g.Producer("w.stg")
	check("Producer(w.stg)", producer, "task:a/stage")
	check("Producer(w.stg) ok", ok, true)
	_, ok = g.Producer("ext.src")
	check("Producer(ext.src) ok", ok, false)
	check("Consumers(w.stg)", g.Consumers("w.stg"), ids("task:b/build"))
	check("Triggered(pipeline:a)", g.Triggered("pipeline:a"), []string{"b"})
	check("Triggered(dataset:w.mart)", g.Triggered("dataset:w.mart"), []string{"c"})
	check("Triggered(pipeline:c)", g.Triggered("pipeline:c"), []string{})
	check("PipelineParents(c)", g.PipelineParents("c"), []string{"b"})
	check("PipelineChildren(a)", g.PipelineChildren("a"), []string{"b"})
	check("PipelineOrder", g.PipelineOrder(), []string{"a", "b", "c"})
	check("depths", []int{g.Depth("a"), g.Depth("b"), g.Depth("c"), g.Depth("zzz"), g.MaxDepth()}, []int{0, 1, 2, -1, 2})
	check("Has", []bool{g.Has("task:a/stage"), g.Has("dataset:ext.src"), g.Has("task:a/zzz")}, []bool{true, true, false})
	check("Nodes", g.Nodes(), ids("dataset:ext.src dataset:w.mart dataset:w.raw dataset:w.stg pipeline:a pipeline:b pipeline:c "+
		"task:a/audit task:a/extract task:a/stage task:b/build task:c/report"))

	var edges []string
	for _, e := range g.Edges() {
		edges = append(edges, fmt.Sprintf("%s -%s-> %s", e.From, e.Kind, e.To))
	}
	want := []string{
		"dataset:ext.src -reads-> task:a/extract",
		"dataset:w.mart -reads-> task:c/report",
		"dataset:w.mart -triggers-> task:c/report",
		"dataset:w.raw -reads-> task:a/stage",
		"dataset:w.stg -reads-> task:b/build",
		"pipeline:a -triggers-> task:b/build",
		"task:a/audit -part_of-> pipeline:a",
		"task:a/extract -writes-> dataset:w.raw",
		"task:a/extract -part_of-> pipeline:a",
		"task:a/extract -depends_on-> task:a/audit",
		"task:a/stage -writes-> dataset:w.stg",
		"task:a/stage -part_of-> pipeline:a",
		"task:b/build -writes-> dataset:w.mart",
		"task:b/build -part_of-> pipeline:b",
		"task:c/report -part_of-> pipeline:c",
	}
	if !slices.Equal(edges, want) {
		t.Fatalf("Edges =\n\t%s\nwant\n\t%s", strings.Join(edges, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestGraphDeterministic checks that the graph does not depend on the
// order pipelines are given in.
func TestGraphDeterministic(t *testing.T) {
	describe := func(g *Graph) string {
		var b strings.Builder
		fmt.Fprintln(&b, g.Edges(), g.PipelineOrder())
		for _, n := range g.Nodes() {
			fmt.Fprintln(&b, n, g.Upstream(n), g.Downstream(n))
		}
		for _, p := range g.PipelineOrder() {
			fmt.Fprintln(&b, p, g.Tasks(p), g.Depth(p))
		}
		return b.String()
	}
	want := describe(smallFleet(t).Graph())
	for _, order := range [][]int{{2, 1, 0}, {1, 0, 2}, {2, 0, 1}} {
		if got := describe(smallFleet(t, order...).Graph()); got != want {
			t.Fatalf("order %v gives another graph:\n%s\nwant:\n%s", order, got, want)
		}
	}
}

// checkMirror checks that x is upstream of y exactly when y is downstream
// of x, for every pair of nodes of g.
func checkMirror(t *testing.T, g *Graph) {
	t.Helper()
	up := map[NodeID]map[NodeID]bool{}
	for _, n := range g.Nodes() {
		up[n] = map[NodeID]bool{}
		for _, u := range g.Upstream(n) {
			up[n][u] = true
		}
	}
	for _, x := range g.Nodes() {
		down := map[NodeID]bool{}
		for _, d := range g.Downstream(x) {
			down[d] = true
			if !up[d][x] {
				t.Errorf("%s is downstream of %s, but %s is not upstream of it", d, x, x)
			}
		}
		for _, y := range g.Nodes() {
			if up[y][x] && !down[y] {
				t.Errorf("%s is upstream of %s, but %s is not downstream of it", x, y, y)
			}
		}
	}
}

func TestGraphMirror(t *testing.T) {
	checkMirror(t, smallFleet(t).Graph())
}

func TestNodeID(t *testing.T) {
	f := func(s string, kind NodeKind, name, pipeline string) {
		t.Helper()
		id := NodeID(s)
		if id.Kind() != kind || id.Name() != name || id.Pipeline() != pipeline {
			t.Fatalf("%s: Kind, Name, Pipeline = %q, %q, %q", s, id.Kind(), id.Name(), id.Pipeline())
		}
	}
	f("pipeline:orders", NodePipeline, "orders", "orders")
	f("task:orders/extract", NodeTask, "orders/extract", "orders")
	f("dataset:warehouse.raw_orders", NodeDataset, "warehouse.raw_orders", "")
	f("job:x", "", "x", "")
	f("orders", "", "", "")
	if PipelineID("a") != "pipeline:a" || TaskID("a", "b") != "task:a/b" || DatasetID("w.x") != "dataset:w.x" {
		t.Fatal("constructors")
	}

	bad := func(s, want string) {
		t.Helper()
		if _, err := ParseNodeID(s); err == nil || err.Error() != want {
			t.Fatalf("ParseNodeID(%q) = %v, want %q", s, err, want)
		}
	}
	for _, s := range []string{"pipeline:orders", "task:orders/extract", "dataset:warehouse.raw_orders"} {
		if id, err := ParseNodeID(s); err != nil || string(id) != s {
			t.Fatalf("ParseNodeID(%q) = %q, %v", s, id, err)
		}
	}
	bad("task:orders", `node "task:orders": want task:<pipeline>/<task>`)
	bad("task:orders/Extract", `node "task:orders/Extract": name "Extract" must be a lowercase letter followed by lowercase letters, digits and _`)
	bad("pipeline:", `node "pipeline:": name is empty`)
	bad("dataset:"+strings.Repeat("a.", 200)+"a", `node "dataset:`+strings.Repeat("a.", 200)+`a": dataset name "`+strings.Repeat("a.", 200)+`a" is longer than 256 characters`)
	bad("orders", `node "orders": want pipeline:<name>, task:<pipeline>/<task> or dataset:<name>`)
}
