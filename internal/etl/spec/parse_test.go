package spec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	p, err := Parse("p.yaml", []byte(validPipeline))
	if err != nil {
		t.Fatal(err)
	}
	if p.Catchup != CatchupLatest || p.MaxActiveRuns != 1 || p.SLA != 0 {
		t.Fatalf("pipeline defaults: catchup %q, max_active_runs %d, sla %s", p.Catchup, p.MaxActiveRuns, p.SLA)
	}
	task := p.Tasks[0]
	want := DefaultTask()
	if task.Criticality != Critical || task.Timeout != Duration(time.Hour) || task.OnRowError != RowErrorFail {
		t.Fatalf("task defaults: %+v", task)
	}
	r := task.Retries
	if r.Count != 0 || r.Backoff != Duration(10*time.Second) || r.MaxBackoff != Duration(10*time.Minute) ||
		r.Jitter != 0.2 || !slices.Equal(r.Transient, want.Retries.Transient) {
		t.Fatalf("retry defaults: %+v", r)
	}
}

// TestParseExplicitZeros checks that a value written in the file is kept
// even when it is the zero value, and that null means the default.
func TestParseExplicitZeros(t *testing.T) {
	spec := pipelineWith(
		"source: {connector: generate}",
		"sink: {connector: jsonl}",
		"retries: {count: 1, backoff: 0s, jitter: 0, transient: [locked]}",
		"criticality: ~",
		"timeout:",
	)
	p, err := Parse("p.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Tasks[0].Retries
	if r.Count != 1 || r.Backoff != 0 || r.Jitter != 0 || r.MaxBackoff != DefaultMaxBackoff || !slices.Equal(r.Transient, []ErrorClass{ClassLocked}) {
		t.Fatalf("retries = %+v", r)
	}
	if p.Tasks[0].Criticality != Critical || p.Tasks[0].Timeout != DefaultTimeout {
		t.Fatalf("null did not give the default: %+v", p.Tasks[0])
	}
}

// TestParseMergeKeys checks that defaults see keys brought in by YAML merge
// keys, as the decoder does.
func TestParseMergeKeys(t *testing.T) {
	spec := `name: p
schedule: {interval: 1h}
tasks:
  - &base
    name: a
    kind: extract
    source: {connector: generate}
    sink: {connector: jsonl}
    timeout: 5m
    retries: &retries {count: 2, jitter: 0, transient: [timeout]}
  - <<: *base
    name: b
    criticality: optional
  - name: c
    kind: load
    source: {connector: generate}
    sink: {connector: jsonl}
    retries:
      <<: *retries
      count: 4
`
	p, err := Parse("p.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := p.Task("a"), p.Task("b"), p.Task("c")
	if b.Timeout != Duration(5*time.Minute) || b.Retries.Jitter != 0 || b.Retries.Count != 2 || b.Criticality != Optional {
		t.Fatalf("merged task b = %+v", b)
	}
	if c.Timeout != DefaultTimeout || c.Retries.Count != 4 || c.Retries.Jitter != 0 || c.Retries.Backoff != DefaultBackoff {
		t.Fatalf("task c with merged retries = %+v", c)
	}
	if a.Retries.MaxBackoff != DefaultMaxBackoff {
		t.Fatalf("task a = %+v", a)
	}
}

func TestParseKeepsMapOrder(t *testing.T) {
	spec := pipelineWith(
		"source: {connector: generate}",
		"sink: {connector: jsonl}",
		"transform:",
		"  - map: {z: row.z, a: row.a, m: row.m}",
		"  - cast: {z: int, a: float}",
	)
	p, err := Parse("p.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	m := p.Tasks[0].Transform[0].Map
	if want := (Pairs{{"z", "row.z"}, {"a", "row.a"}, {"m", "row.m"}}); !slices.Equal(m, want) {
		t.Fatalf("map = %v, want %v", m, want)
	}
	if v, ok := p.Tasks[0].Transform[1].Cast.Get("a"); !ok || v != "float" {
		t.Fatalf("cast a = %q, %v", v, ok)
	}
}

// TestParseDecodeErrors checks that what the decoder refuses is reported
// with its line, the field it concerns and, for unknown fields, a
// suggestion; and that every such problem is reported at once.
func TestParseDecodeErrors(t *testing.T) {
	f := func(spec string, want ...string) {
		t.Helper()
		_, err := Parse("p.yaml", []byte(spec))
		checkProblems(t, problemsOf(t, err), want)
	}
	f("", `p.yaml: the file is empty`)
	f("# nothing\n", `p.yaml: the file is empty`)
	f("name: p\n---\nname: q\n", `p.yaml:2: a second YAML document; a file holds exactly one`)
	f("name: p\n  owner: x\n", `p.yaml:2: mapping values are not allowed in this context`)
	f("- a\n", `p.yaml:1: want a mapping, not a list`)
	f(`name: p
schedule: {interval: 1h, crn: x}
owner: [a]
tasks:
  - name: a
    kind: extract
    tiemout: 5m
    source: {connector: generate, setings: {}}
    sink: {connector: jsonl}
    retries: {count: three, backoff: 5x, jitter: high}
    resources: {cpu: 1, memory: 1GB}
    transform:
      - filter: [a]
      - map: [a]
      - cast: {a: int, a: float}
  - name: b
    timeout: 5
  - name: c
    name: d
`,
		`p.yaml:2: schedule.crn: unknown field "crn" (did you mean "cron"?)`,
		`p.yaml:3: owner: want a string, not a list`,
		`p.yaml:7: tasks[0] (a).tiemout: unknown field "tiemout" (did you mean "timeout"?)`,
		`p.yaml:8: tasks[0] (a).source.setings: unknown field "setings" (did you mean "settings"?)`,
		`p.yaml:10: tasks[0] (a).retries.count: want a whole number, not "three"`,
		`p.yaml:10: tasks[0] (a).retries.backoff: duration "5x": unknown unit "x" (use y, w, d, h, m, s or ms)`,
		`p.yaml:10: tasks[0] (a).retries.jitter: want a number, not "high"`,
		`p.yaml:11: tasks[0] (a).resources.memory: size "1GB": unknown unit "GB" (use B, KiB, MiB, GiB or TiB)`,
		`p.yaml:13: tasks[0] (a).transform[0].filter: want a string, not a list`,
		`p.yaml:14: tasks[0] (a).transform[1].map: want a mapping of column names to strings, not a list`,
		`p.yaml:15: tasks[0] (a).transform[2].cast.a: "a" is given twice (first at line 15)`,
		`p.yaml:17: tasks[1] (b).timeout: duration "5": missing unit (use y, w, d, h, m, s or ms)`,
		`p.yaml:19: tasks[2] (d).name: "name" is given twice (first at line 18)`,
	)
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte(validPipeline), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ParseFile(path)
	if err != nil || p.File != path {
		t.Fatalf("ParseFile = %+v, %v", p, err)
	}
	_, err = ParseFile(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "read pipeline spec: open ") {
		t.Fatalf("ParseFile of a missing file: %v", err)
	}
}

func TestTaskOrder(t *testing.T) {
	// The order does not depend on the order tasks are written in.
	tasks := []string{
		"  - {name: load_b, kind: load, sql: {connector: sqlite, statement: x}, inputs: [w.stage_b]}\n",
		"  - {name: stage_b, kind: transform, sql: {connector: sqlite, statement: x}, inputs: [w.raw], outputs: [w.stage_b]}\n",
		"  - {name: stage_a, kind: transform, sql: {connector: sqlite, statement: x}, inputs: [w.raw], outputs: [w.stage_a]}\n",
		"  - {name: extract, kind: extract, sql: {connector: sqlite, statement: x}, outputs: [w.raw]}\n",
		"  - {name: audit, kind: load, sql: {connector: sqlite, statement: x}, depends_on: [load_b]}\n",
		"  - {name: zzz, kind: load, sql: {connector: sqlite, statement: x}}\n",
	}
	want := []string{"extract", "stage_a", "stage_b", "load_b", "audit", "zzz"}
	for i := range tasks {
		rotated := append(slices.Clone(tasks[i:]), tasks[:i]...)
		p, err := Parse("p.yaml", []byte("name: p\nschedule: {interval: 1h}\ntasks:\n"+strings.Join(rotated, "")))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			got, err := p.TaskOrder()
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("rotation %d: TaskOrder = %v, %v; want %v", i, got, err, want)
			}
		}
	}
	cyclic := &Pipeline{Name: "p", Tasks: []Task{{Name: "a", DependsOn: []string{"b"}}, {Name: "b", DependsOn: []string{"a"}}}}
	if _, err := cyclic.TaskOrder(); err == nil || err.Error() != `pipeline "p": tasks depend on each other in a cycle: a -> b -> a` {
		t.Fatalf("TaskOrder of a cycle: %v", err)
	}
}
