package spec

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// examplesDir holds the example warehouse that docs and the demo use.
const examplesDir = "../../../examples/pipelines"

// TestExamples checks that the example pipelines load clean, that their
// lineage is at least four pipelines deep, and that what the graph says
// about them matches testdata/examples.golden (go test -update rewrites it).
func TestExamples(t *testing.T) {
	f, err := LoadDir(examplesDir)
	if err != nil {
		t.Fatalf("examples do not load:\n%v", err)
	}
	g := f.Graph()
	if d := g.MaxDepth(); d < 4 {
		t.Fatalf("examples are %d pipelines deep, want at least 4", d)
	}
	kinds := map[ScheduleKind]int{}
	optional, checks := 0, 0
	for _, p := range f.Pipelines() {
		kinds[p.Schedule.Kind()]++
		for _, task := range p.Tasks {
			if task.Criticality == Optional {
				optional++
			}
			if task.Kind == KindCheck {
				checks++
			}
		}
	}
	if kinds[ScheduleCron] == 0 || kinds[ScheduleInterval] == 0 || kinds[ScheduleAfter] == 0 || optional == 0 || checks == 0 || len(f.External()) == 0 {
		t.Fatalf("examples should show every schedule kind, optional tasks, checks and external datasets: %v, %d, %d, %v",
			kinds, optional, checks, f.External())
	}
	checkMirror(t, g)

	var b strings.Builder
	fmt.Fprintf(&b, "external: %v\nmax depth: %d\n", f.External(), g.MaxDepth())
	for _, name := range g.PipelineOrder() {
		p := f.Pipeline(name)
		fmt.Fprintf(&b, "\npipeline %s (%s): depth %d, after %v, schedule %s\n",
			name, filepath.Base(p.File), g.Depth(name), g.PipelineParents(name), p.Schedule)
		for _, id := range g.Tasks(name) {
			fmt.Fprintf(&b, "  %s\n", id)
		}
	}
	fmt.Fprintf(&b, "\nupstream of dataset:reporting.daily_kpis:\n")
	for _, id := range g.Upstream("dataset:reporting.daily_kpis") {
		fmt.Fprintf(&b, "  %s\n", id)
	}
	fmt.Fprintf(&b, "\ndownstream of dataset:shop.orders_api:\n")
	for _, id := range g.Downstream("dataset:shop.orders_api") {
		fmt.Fprintf(&b, "  %s\n", id)
	}
	golden(t, "testdata/examples.golden", b.String())
}

// golden compares got with the file at path, or rewrites the file when
// -update is given.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run go test -update to accept it):\n%s", path, got)
	}
}

// ExampleLoadDir loads the example warehouse and asks its lineage what a
// failure of the orders API would reach.
func ExampleLoadDir() {
	fleet, err := LoadDir("../../../examples/pipelines")
	if err != nil {
		fmt.Println(err)
		return
	}
	g := fleet.Graph()
	fmt.Println("depth of daily_report:", g.Depth("daily_report"))
	fmt.Println("tasks of orders:", g.Tasks("orders"))
	for _, id := range g.Downstream("dataset:shop.orders_api") {
		if id.Kind() == NodePipeline {
			fmt.Println("affected:", id)
		}
	}
	// Output:
	// depth of daily_report: 4
	// tasks of orders: [task:orders/extract_orders task:orders/stage_orders task:orders/check_stg_orders]
	// affected: pipeline:orders
	// affected: pipeline:orders_enriched
	// affected: pipeline:revenue_marts
	// affected: pipeline:daily_report
}
