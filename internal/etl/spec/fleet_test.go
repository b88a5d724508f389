package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeDir writes files (name → content) into a new directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadProblems loads dir and returns its problems with dir cut from file
// names.
func loadProblems(t *testing.T, dir string, opts ...Option) []string {
	t.Helper()
	_, err := LoadDir(dir, opts...)
	if err == nil {
		return nil
	}
	ps := problemsOf(t, err)
	for i := range ps {
		ps[i] = strings.ReplaceAll(ps[i], dir+string(filepath.Separator), "")
	}
	return ps
}

// sqlTask is a one-line task that runs SQL, reading and writing datasets.
func sqlTask(name, inputs, outputs string) string {
	return "  - {name: " + name + ", kind: transform, sql: {connector: sqlite, statement: x}, inputs: [" + inputs + "], outputs: [" + outputs + "]}\n"
}

func TestLoadDir(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"_fleet.yaml":  "external: [shop.orders]\n",
		"b.yaml":       "name: b\nschedule: {after: [pipeline:a]}\ntasks:\n" + sqlTask("t", "w.x", "w.y"),
		"a.yaml":       "name: a\nschedule: {cron: '@hourly'}\ntasks:\n" + sqlTask("t", "shop.orders", "w.x"),
		"README.md":    "not a spec",
		".hidden.yaml": "not: read",
		"sub/c.yaml":   "not: read",
	})
	f, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range f.Pipelines() {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"a", "b"}) || !slices.Equal(f.External(), []string{"shop.orders"}) {
		t.Fatalf("pipelines %v, external %v", names, f.External())
	}
	if p := f.Pipeline("b"); p == nil || p.File != filepath.Join(dir, "b.yaml") || f.Pipeline("c") != nil {
		t.Fatalf("Pipeline(b) = %+v", p)
	}
	if got := f.Graph().Depth("b"); got != 1 {
		t.Fatalf("Depth(b) = %d", got)
	}
}

func TestLoadDirEmptyAndMissing(t *testing.T) {
	f, err := LoadDir(writeDir(t, map[string]string{"_fleet.yaml": "# nothing yet\n"}))
	if err != nil || len(f.Pipelines()) != 0 || f.Graph().MaxDepth() != -1 {
		t.Fatalf("empty directory: %v, %v", f, err)
	}
	_, err = LoadDir(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read pipeline directory: ") {
		t.Fatalf("missing directory: %v", err)
	}
}

// TestFleetRules checks every rule between pipelines, and the exact
// message of each problem.
func TestFleetRules(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown dataset, as in docs/etl.md", map[string]string{
			"orders.yaml": "name: orders_mart\nschedule: {interval: 1h}\ntasks:\n" +
				sqlTask("extract_orders", "", "warehouse.raw_orders") +
				sqlTask("x", "", "") +
				sqlTask("stage_orders", "warehouse.raw_order", "warehouse.stg_orders"),
		}, []string{
			`orders.yaml: tasks[2] (stage_orders).inputs[0]: unknown dataset "warehouse.raw_order" (did you mean "warehouse.raw_orders"?)`,
		}},
		{"unknown dataset, no namespace", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.raw_orders") + sqlTask("u", "x.raw_orders", ""),
		}, []string{
			`a.yaml: tasks[1] (u).inputs[0]: unknown dataset "x.raw_orders" (did you mean "w.raw_orders"?)`,
		}},
		{"unknown dataset, far from any", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "shop.api_orders", "w.b"),
		}, []string{
			`a.yaml: tasks[0] (t).inputs[0]: unknown dataset "shop.api_orders": no task writes it; if it is made outside Vigil, list it under external: in _fleet.yaml`,
		}},
		{"two producers", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.x"),
			"b.yaml": "name: b\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("u", "", "w.y, w.x"),
		}, []string{
			`b.yaml: tasks[0] (u).outputs[1]: dataset "w.x" is also produced by task:a/t (a.yaml)`,
		}},
		{"produced and external", map[string]string{
			"_fleet.yaml": "external: [w.x, w.y, w.y, bad]\n",
			"a.yaml":      "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.x"),
		}, []string{
			`_fleet.yaml: external[2]: dataset "w.y" is listed twice`,
			`_fleet.yaml: external[3]: dataset name "bad" must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _`,
			`a.yaml: tasks[0] (t).outputs[0]: dataset "w.x" is declared external in ` + FleetFileName + `, yet this task produces it`,
		}},
		{"duplicate pipeline", map[string]string{
			"a.yaml":  "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.x"),
			"a2.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.y"),
		}, []string{
			`a2.yaml: name: pipeline "a" is also defined in a.yaml`,
		}},
		{"after unknown", map[string]string{
			"a.yaml": "name: orders\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "", "w.x"),
			"b.yaml": "name: b\nschedule: {after: ['pipeline:order', 'dataset:w.z', 'pipeline:zzz']}\ntasks:\n" + sqlTask("t", "", ""),
		}, []string{
			`b.yaml: schedule.after[0]: unknown pipeline "order" (did you mean "pipeline:orders"?)`,
			`b.yaml: schedule.after[1]: unknown dataset "w.z" (did you mean "w.x"?)`,
			`b.yaml: schedule.after[2]: unknown pipeline "zzz"`,
		}},
		{"after own dataset", map[string]string{
			"a.yaml": "name: a\nschedule: {after: ['dataset:w.x']}\ntasks:\n" + sqlTask("t", "", "w.x"),
		}, []string{
			`a.yaml: schedule.after[0]: dataset "w.x" is written by this pipeline (task:a/t), which would trigger itself`,
		}},
		{"pipeline cycle through data", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "w.c", "w.a"),
			"b.yaml": "name: b\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "w.a", "w.b"),
			"c.yaml": "name: c\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "w.b", "w.c"),
		}, []string{
			`a.yaml: pipelines depend on each other in a cycle: a -> b -> c -> a`,
		}},
		{"pipeline cycle through after", map[string]string{
			"a.yaml": "name: a\nschedule: {after: [pipeline:b]}\ntasks:\n" + sqlTask("t", "", "w.a"),
			"b.yaml": "name: b\nschedule: {after: [dataset:w.a]}\ntasks:\n" + sqlTask("t", "", ""),
		}, []string{
			`a.yaml: pipelines depend on each other in a cycle: a -> b -> a`,
		}},
		{"files to refuse", map[string]string{
			"a.yml":          "name: a\n",
			"_defaults.yaml": "x: 1\n",
		}, []string{
			`_defaults.yaml: names starting with _ are reserved; the only such file is _fleet.yaml`,
			`a.yml: pipeline files end in .yaml; rename it, or it is ignored`,
		}},
		{"bad fleet file", map[string]string{
			"_fleet.yaml": "external: [w.x]\nexternals: [w.y]\n",
		}, []string{
			`_fleet.yaml:2: externals: unknown field "externals" (did you mean "external"?)`,
		}},
		{"undecodable file hides unknown references", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n" + sqlTask("t", "w.b", "w.a"),
			"b.yaml": "name: b\nschedule: {interval: 1h}\ntasks:\n  - {name: t, kind: transform, outputs: [w.b], timeout: soon}\n",
		}, []string{
			`b.yaml:4: tasks[0] (t).timeout: duration "soon": expected a number at "soon"`,
		}},
		{"problems of every file", map[string]string{
			"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n  - name: t\n    kind: load\n    sql: {connector: sqlite, statement: x}\n    inputs: [w.nope]\n    outputs: [w.a]\n    timeout: 0s\n",
			"b.yaml": "name: b\nschedule: {interval: 1h}\ncatchup: never\ntasks:\n" + sqlTask("t", "w.a", ""),
		}, []string{
			`a.yaml: tasks[0] (t).timeout: must be positive`,
			`a.yaml: tasks[0] (t).inputs[0]: unknown dataset "w.nope": no task writes it; if it is made outside Vigil, list it under external: in _fleet.yaml`,
			`b.yaml: catchup: "never" is not one of none, latest, all`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkProblems(t, loadProblems(t, writeDir(t, c.files)), c.want)
		})
	}
}

func TestLoadDirOptions(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"a.yaml": "name: a\nschedule: {interval: 1h}\ntasks:\n  - {name: t, kind: extract, source: {connector: kafka}, sink: {connector: sqlite}}\n",
	})
	checkProblems(t, loadProblems(t, dir), []string{
		`a.yaml: tasks[0] (t).source.connector: unknown connector "kafka" (known: csv, generate, http, jsonl, postgres, sqlite)`,
	})
	checkProblems(t, loadProblems(t, dir, WithConnectors("kafka", "sqlite")), nil)
}

func TestNewFleet(t *testing.T) {
	parse := func(name, spec string) *Pipeline {
		t.Helper()
		p, err := Parse(name, []byte(spec))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := parse("a.yaml", "name: a\nschedule: {interval: 1h}\ntasks:\n"+sqlTask("t", "ext.x", "w.a"))
	b := parse("b.yaml", "name: b\nschedule: {interval: 1h}\ntasks:\n"+sqlTask("t", "w.a", "w.b"))
	f, err := NewFleet([]*Pipeline{b, a}, []string{"ext.x"})
	if err != nil {
		t.Fatal(err)
	}
	if ps := f.Pipelines(); len(ps) != 2 || ps[0] != a || ps[1] != b {
		t.Fatalf("Pipelines() = %v, want a, b", ps)
	}
	_, err = NewFleet([]*Pipeline{b}, nil)
	checkProblems(t, problemsOf(t, err), []string{
		`b.yaml: tasks[0] (t).inputs[0]: unknown dataset "w.a" (did you mean "w.b"?)`,
	})
	bad := &Pipeline{Name: "c", File: "c.yaml", Schedule: Schedule{Interval: Duration(3600e9)}, MaxActiveRuns: 1, Catchup: CatchupAll}
	_, err = NewFleet([]*Pipeline{a, bad}, []string{"ext.x"})
	checkProblems(t, problemsOf(t, err), []string{`c.yaml: tasks: a pipeline needs at least one task`})
}
