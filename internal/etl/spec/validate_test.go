package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// validPipeline is the smallest valid spec; the cases below break it one
// rule at a time.
const validPipeline = `name: p
schedule: {interval: 1h}
tasks:
  - name: a
    kind: extract
    source: {connector: generate, settings: {rows: 10}}
    sink: {connector: jsonl, settings: {path: out.jsonl}}
    outputs: [w.a]
`

// problemsOf returns the problems err holds, one string each.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

// checkProblems fails unless got and want hold the same problems in order.
func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestParseValid(t *testing.T) {
	p, err := Parse("p.yaml", []byte(validPipeline))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "p" || p.File != "p.yaml" || len(p.Tasks) != 1 || p.Tasks[0].Outputs[0] != "w.a" {
		t.Fatalf("Parse = %+v", p)
	}
}

// TestValidationRules checks every rule of validation and the exact
// message of each problem.
func TestValidationRules(t *testing.T) {
	// task is a task block with the given lines added.
	task := func(lines ...string) string {
		return "  - name: a\n    kind: extract\n    source: {connector: generate}\n    sink: {connector: jsonl, settings: {path: o.jsonl}}\n    outputs: [w.a]\n" +
			indent(lines)
	}
	// pipeline is a spec with the given header lines and task blocks.
	pipeline := func(header string, tasks ...string) string {
		return header + "tasks:\n" + strings.Join(tasks, "")
	}
	const head = "name: p\nschedule: {interval: 1h}\n"
	cases := []struct {
		name string
		spec string
		want []string
	}{
		// Pipeline fields.
		{"name missing", pipeline("schedule: {interval: 1h}\n", task()),
			[]string{`p.yaml: name: name is empty`}},
		{"name bad", pipeline("name: Orders-2\nschedule: {interval: 1h}\n", task()),
			[]string{`p.yaml: name: name "Orders-2" must be a lowercase letter followed by lowercase letters, digits and _`}},
		{"name long", pipeline("name: "+strings.Repeat("a", 65)+"\nschedule: {interval: 1h}\n", task()),
			[]string{`p.yaml: name: name "` + strings.Repeat("a", 65) + `" is longer than 64 characters`}},
		{"no schedule", pipeline("name: p\n", task()),
			[]string{`p.yaml: schedule: one of cron, interval (positive) or after must be set`}},
		{"two schedules", pipeline("name: p\nschedule: {cron: '@daily', interval: 1h}\n", task()),
			[]string{`p.yaml: schedule: set only one of cron, interval and after, not cron and interval`}},
		{"three schedules", pipeline("name: p\nschedule: {cron: '@daily', interval: 1h, after: [pipeline:q]}\n", task()),
			[]string{`p.yaml: schedule: set only one of cron, interval and after, not cron and interval and after`}},
		{"cron bad", pipeline("name: p\nschedule: {cron: '0 25 * * *'}\n", task()),
			[]string{`p.yaml: schedule.cron: cron "0 25 * * *": end of range (25) above maximum (23): 25`}},
		{"cron fields", pipeline("name: p\nschedule: {cron: '0 0 * * * *'}\n", task()),
			[]string{`p.yaml: schedule.cron: cron "0 0 * * * *": expected exactly 5 fields, found 6: [0 0 * * * *]`}},
		{"interval fraction", pipeline("name: p\nschedule: {interval: 1500ms}\n", task()),
			[]string{`p.yaml: schedule.interval: interval 1s500ms: must be a whole number of seconds, at least 1s`}},
		{"after empty", pipeline("name: p\nschedule: {after: []}\n", task()),
			[]string{`p.yaml: schedule.after: must list at least one pipeline:<name> or dataset:<name>`}},
		{"after entries", pipeline("name: p\nschedule: {after: [q, w.x, 'job:q', 'task:q/t', 'pipeline:p', 'pipeline:q', 'pipeline:q', 'dataset:x']}\n", task()),
			[]string{
				`p.yaml: schedule.after[0]: "q" needs its kind: write pipeline:q`,
				`p.yaml: schedule.after[1]: "w.x" needs its kind: write dataset:w.x`,
				`p.yaml: schedule.after[2]: node "job:q": want pipeline:<name>, task:<pipeline>/<task> or dataset:<name>`,
				`p.yaml: schedule.after[3]: "task:q/t": a schedule waits for a pipeline or a dataset, not a task; use pipeline:q`,
				`p.yaml: schedule.after[4]: "pipeline:p" is this pipeline`,
				`p.yaml: schedule.after[6]: "pipeline:q" is listed twice`,
				`p.yaml: schedule.after[7]: node "dataset:x": dataset name "x" must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _`,
			}},
		{"catchup", pipeline(head+"catchup: lastest\n", task()),
			[]string{`p.yaml: catchup: "lastest" is not one of none, latest, all (did you mean "latest"?)`}},
		{"max_active_runs", pipeline(head+"max_active_runs: 0\n", task()),
			[]string{`p.yaml: max_active_runs: 0 is less than 1`}},
		{"no tasks", head + "tasks: []\n",
			[]string{`p.yaml: tasks: a pipeline needs at least one task`}},

		// Task names and kinds.
		{"task name", pipeline(head, strings.Replace(task(), "name: a", "name: 1a", 1)),
			[]string{`p.yaml: tasks[0] (1a).name: name "1a" must be a lowercase letter followed by lowercase letters, digits and _`}},
		{"task name missing", pipeline(head, strings.Replace(task(), "name: a", "name: ''", 1)),
			[]string{`p.yaml: tasks[0].name: name is empty`}},
		{"task name twice", pipeline(head, task(), strings.Replace(task(), "[w.a]", "[w.b]", 1)),
			[]string{`p.yaml: tasks[1] (a).name: "a" is also the name of tasks[0]`}},
		{"kind", pipeline(head, strings.Replace(task(), "kind: extract", "kind: extrakt", 1)),
			[]string{`p.yaml: tasks[0] (a).kind: "extrakt" is not one of extract, transform, load, check (did you mean "extract"?)`}},

		// What each kind needs.
		{"neither io nor sql", pipeline(head, "  - {name: a, kind: transform}\n"),
			[]string{`p.yaml: tasks[0] (a): a task of kind transform needs source and sink, or sql`}},
		{"source without sink", pipeline(head, "  - {name: a, kind: load, source: {connector: csv}}\n"),
			[]string{`p.yaml: tasks[0] (a).sink: must be set with source`}},
		{"sink without source", pipeline(head, "  - {name: a, kind: load, sink: {connector: csv}}\n"),
			[]string{`p.yaml: tasks[0] (a).source: must be set with sink`}},
		{"io and sql", pipeline(head, task("sql: {connector: sqlite, statement: 'SELECT 1'}")),
			[]string{`p.yaml: tasks[0] (a): set either source and sink, or sql, not both`}},
		{"sql statement", pipeline(head, "  - {name: a, kind: transform, sql: {connector: sqlite, settings: {path: w.db}}}\n"),
			[]string{`p.yaml: tasks[0] (a).sql.statement: must be set`}},
		{"sql with transform", pipeline(head, "  - {name: a, kind: transform, sql: {connector: sqlite, statement: x}, transform: [{filter: 'true'}]}\n"),
			[]string{`p.yaml: tasks[0] (a).transform: transforms apply to rows moved from source to sink, not to sql`}},
		{"sql with on_row_error", pipeline(head, "  - {name: a, kind: transform, sql: {connector: sqlite, statement: x}, on_row_error: skip}\n"),
			[]string{`p.yaml: tasks[0] (a).on_row_error: applies to rows moved from source to sink, not to sql`}},
		{"assert outside check", pipeline(head, task("assert: ['rows > 0']")),
			[]string{`p.yaml: tasks[0] (a).assert: only a check asserts; make a task of kind check`}},
		{"check empty", pipeline(head, "  - {name: c, kind: check}\n"),
			[]string{
				`p.yaml: tasks[0] (c).source: a check needs a source to read`,
				`p.yaml: tasks[0] (c).assert: a check needs at least one assertion`,
			}},
		{"check writes", pipeline(head, "  - {name: c, kind: check, source: {connector: csv}, sink: {connector: csv}, sql: {connector: sqlite, statement: x}, assert: ['rows > 0', ' '], outputs: [w.c]}\n"),
			[]string{
				`p.yaml: tasks[0] (c).sink: a check writes nothing; remove the sink`,
				`p.yaml: tasks[0] (c).sql: a check reads a source; remove sql`,
				`p.yaml: tasks[0] (c).outputs: a check produces no dataset`,
				`p.yaml: tasks[0] (c).assert[1]: is empty`,
			}},

		// Connectors.
		{"connector unknown", pipeline(head, strings.Replace(task(), "connector: generate", "connector: generat", 1)),
			[]string{`p.yaml: tasks[0] (a).source.connector: unknown connector "generat" (did you mean "generate"?) (known: csv, generate, http, jsonl, postgres, sqlite)`}},
		{"connector missing", pipeline(head, strings.Replace(task(), "connector: jsonl, ", "", 1)),
			[]string{`p.yaml: tasks[0] (a).sink.connector: must be set (one of csv, generate, http, jsonl, postgres, sqlite)`}},
		{"sql connector", pipeline(head, "  - {name: a, kind: transform, sql: {connector: mysql, statement: x}}\n"),
			[]string{`p.yaml: tasks[0] (a).sql.connector: unknown connector "mysql" (known: csv, generate, http, jsonl, postgres, sqlite)`}},

		// Transforms and row errors.
		{"step empty", pipeline(head, task("transform: [{}]")),
			[]string{`p.yaml: tasks[0] (a).transform[0]: set one of filter, map or cast`}},
		{"step two", pipeline(head, task("transform: [{filter: 'true', cast: {x: int}}]")),
			[]string{`p.yaml: tasks[0] (a).transform[0]: set only one of filter, map and cast in a step, not filter and cast; use one step each`}},
		{"map", pipeline(head, task("transform: [{map: {}}, {map: {'1x': row.a, y: ''}}]")),
			[]string{
				`p.yaml: tasks[0] (a).transform[0].map: must name at least one column`,
				`p.yaml: tasks[0] (a).transform[1].map: "1x" is not a column name (letters, digits and _, not starting with a digit)`,
				`p.yaml: tasks[0] (a).transform[1].map.y: expression is empty`,
			}},
		{"cast", pipeline(head, task("transform: [{cast: {}}, {cast: {x: integer, 'a b': float}}]")),
			[]string{
				`p.yaml: tasks[0] (a).transform[0].cast: must name at least one column`,
				`p.yaml: tasks[0] (a).transform[1].cast.x: "integer" is not one of string, int, float, bool, time`,
				`p.yaml: tasks[0] (a).transform[1].cast: "a b" is not a column name (letters, digits and _, not starting with a digit)`,
			}},
		{"cast typo", pipeline(head, task("transform: [{cast: {x: flaot}}]")),
			[]string{`p.yaml: tasks[0] (a).transform[0].cast.x: "flaot" is not one of string, int, float, bool, time (did you mean "float"?)`}},
		{"on_row_error", pipeline(head, task("on_row_error: skipp")),
			[]string{`p.yaml: tasks[0] (a).on_row_error: "skipp" is not one of fail, skip, dead_letter (did you mean "skip"?)`}},
		{"dead_letter missing", pipeline(head, task("on_row_error: dead_letter")),
			[]string{`p.yaml: tasks[0] (a).dead_letter: must be set when on_row_error is dead_letter`}},
		{"dead_letter unused", pipeline(head, task("dead_letter: {connector: jsonl}")),
			[]string{`p.yaml: tasks[0] (a).dead_letter: is used only when on_row_error is dead_letter, not "fail"`}},

		// Datasets and dependencies.
		{"dataset names", pipeline(head, task("inputs: [raw_orders, w.i, w.i, W.x]")),
			[]string{
				`p.yaml: tasks[0] (a).inputs[0]: dataset name "raw_orders" must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _`,
				`p.yaml: tasks[0] (a).inputs[2]: dataset "w.i" is listed twice`,
				`p.yaml: tasks[0] (a).inputs[3]: dataset name "W.x" must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _`,
			}},
		{"outputs", pipeline(head, strings.Replace(task("inputs: [w.b]"), "[w.a]", "[w.a, w.a, w.b, w..c]", 1)),
			[]string{
				`p.yaml: tasks[0] (a).outputs[1]: dataset "w.a" is listed twice`,
				`p.yaml: tasks[0] (a).outputs[2]: dataset "w.b" is also an input: a task cannot read what it writes`,
				`p.yaml: tasks[0] (a).outputs[3]: dataset name "w..c" must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _`,
			}},
		{"two producers in a pipeline", pipeline(head, task(), strings.Replace(task(), "name: a", "name: b", 1)),
			[]string{`p.yaml: tasks[1] (b).outputs[0]: dataset "w.a" is also produced by task "a"`}},
		{"depends_on", pipeline(head, task("depends_on: [a, bb, b, b]"), strings.Replace(task(), "name: a\n    kind: extract\n    source: {connector: generate}\n    sink: {connector: jsonl, settings: {path: o.jsonl}}\n    outputs: [w.a]", "name: b\n    kind: extract\n    sql: {connector: sqlite, statement: x}", 1)),
			[]string{
				`p.yaml: tasks[0] (a).depends_on[0]: a task cannot depend on itself`,
				`p.yaml: tasks[0] (a).depends_on[1]: unknown task "bb" (did you mean "b"?)`,
				`p.yaml: tasks[0] (a).depends_on[3]: task "b" is listed twice`,
			}},
		{"task cycle", pipeline(head,
			"  - {name: a, kind: transform, sql: {connector: sqlite, statement: x}, depends_on: [c]}\n",
			"  - {name: b, kind: transform, sql: {connector: sqlite, statement: x}, inputs: [w.a], outputs: [w.b]}\n",
			"  - {name: c, kind: transform, sql: {connector: sqlite, statement: x}, inputs: [w.b], outputs: [w.a]}\n",
			"  - {name: d, kind: transform, sql: {connector: sqlite, statement: x}, depends_on: [e]}\n",
			"  - {name: e, kind: transform, sql: {connector: sqlite, statement: x}, depends_on: [d]}\n"),
			[]string{
				`p.yaml: tasks: tasks depend on each other in a cycle: b -> c -> b`,
				`p.yaml: tasks: tasks depend on each other in a cycle: d -> e -> d`,
			}},

		// Limits.
		{"timeout", pipeline(head, task("timeout: 0s")),
			[]string{`p.yaml: tasks[0] (a).timeout: must be positive`}},
		{"retries", pipeline(head, task("retries: {count: -1, backoff: 1m, max_backoff: 30s, jitter: 1.5, transient: [timeout, http5xx, timeout, bogus]}")),
			[]string{
				`p.yaml: tasks[0] (a).retries.count: -1 is not between 0 and 100`,
				`p.yaml: tasks[0] (a).retries.max_backoff: 30s is less than backoff 1m`,
				`p.yaml: tasks[0] (a).retries.jitter: 1.5 is not between 0 and 1`,
				`p.yaml: tasks[0] (a).retries.transient[1]: unknown error class "http5xx" (did you mean "http_5xx"?) (classes: timeout, connection, http_4xx, http_5xx, rate_limited, locked, sink_full, schema, data, config, internal)`,
				`p.yaml: tasks[0] (a).retries.transient[2]: "timeout" is listed twice`,
				`p.yaml: tasks[0] (a).retries.transient[3]: unknown error class "bogus" (classes: timeout, connection, http_4xx, http_5xx, rate_limited, locked, sink_full, schema, data, config, internal)`,
			}},
		{"retries count high", pipeline(head, task("retries: {count: 101}")),
			[]string{`p.yaml: tasks[0] (a).retries.count: 101 is not between 0 and 100`}},
		{"jitter nan", pipeline(head, task("retries: {jitter: .nan}")),
			[]string{`p.yaml: tasks[0] (a).retries.jitter: NaN is not between 0 and 1`}},
		{"jitter negative", pipeline(head, task("retries: {jitter: -0.1}")),
			[]string{`p.yaml: tasks[0] (a).retries.jitter: -0.1 is not between 0 and 1`}},
		{"transient empty", pipeline(head, task("retries: {count: 3, transient: []}")),
			[]string{`p.yaml: tasks[0] (a).retries.transient: is empty, so the 3 retries would never be used`}},
		{"resources", pipeline(head, task("resources: {cpu: -1}")),
			[]string{`p.yaml: tasks[0] (a).resources.cpu: -1 is not a non-negative number of cores`}},
		{"resources inf", pipeline(head, task("resources: {cpu: .inf}")),
			[]string{`p.yaml: tasks[0] (a).resources.cpu: +Inf is not a non-negative number of cores`}},
		{"criticality", pipeline(head, task("criticality: optinal")),
			[]string{`p.yaml: tasks[0] (a).criticality: "optinal" is not one of critical, optional (did you mean "optional"?)`}},

		// All problems at once, in file order.
		{"many", "name: P\nschedule: {}\ncatchup: sometimes\ntasks:\n  - {name: a, kind: extract}\n  - {name: a, kind: check, timeout: 0s}\n",
			[]string{
				`p.yaml: name: name "P" must be a lowercase letter followed by lowercase letters, digits and _`,
				`p.yaml: schedule: one of cron, interval (positive) or after must be set`,
				`p.yaml: catchup: "sometimes" is not one of none, latest, all`,
				`p.yaml: tasks[0] (a): a task of kind extract needs source and sink, or sql`,
				`p.yaml: tasks[1] (a).name: "a" is also the name of tasks[0]`,
				`p.yaml: tasks[1] (a).source: a check needs a source to read`,
				`p.yaml: tasks[1] (a).assert: a check needs at least one assertion`,
				`p.yaml: tasks[1] (a).timeout: must be positive`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(c.spec))
			checkProblems(t, problemsOf(t, err), c.want)
		})
	}
}

// indent turns task fields into lines of a task block.
func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	return b.String()
}

func TestValidateOptions(t *testing.T) {
	spec := pipelineWith("source: {connector: kafka, settings: {topic: t}}",
		"sink: {connector: sqlite, settings: {path: w.db}}")
	_, err := Parse("p.yaml", []byte(spec), WithConnectors("kafka", "sqlite"),
		WithEndpointCheck(func(use string, e Endpoint) error {
			switch {
			case e.Connector == "sqlite" && use == "sink" && e.Settings["table"] == nil:
				return errors.Join(errors.New("settings.table: must be set"), errors.New("settings.mode: must be set"))
			case e.Connector == "kafka":
				return fmt.Errorf("settings.brokers: must be set for a %s", use)
			}
			return nil
		}))
	checkProblems(t, problemsOf(t, err), []string{
		`p.yaml: tasks[0] (a).source: settings.brokers: must be set for a source`,
		`p.yaml: tasks[0] (a).sink: settings.table: must be set`,
		`p.yaml: tasks[0] (a).sink: settings.mode: must be set`,
	})
	_, err = Parse("p.yaml", []byte(spec))
	checkProblems(t, problemsOf(t, err), []string{
		`p.yaml: tasks[0] (a).source.connector: unknown connector "kafka" (known: csv, generate, http, jsonl, postgres, sqlite)`,
	})
}

// pipelineWith is a one-task pipeline whose task has the given fields.
func pipelineWith(fields ...string) string {
	return "name: p\nschedule: {cron: '@hourly'}\ntasks:\n  - name: a\n    kind: extract\n" + indent(fields)
}
