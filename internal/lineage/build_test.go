package lineage

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden events under testdata/golden")

// t0 is the logical time of the runs of the fixtures.
var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

// fixture is a named event the Builder made.
type fixture struct {
	name  string
	event RunEvent
}

// testRun is the pipeline run of the fixtures.
func testRun() PipelineRun {
	return PipelineRun{
		ID:              "orders_mart/2026-01-02T03:00:00Z",
		Pipeline:        "orders_mart",
		LogicalTime:     t0,
		NextLogicalTime: t0.Add(time.Hour),
	}
}

// testTask is an attempt of the stage_orders task, with full datasets.
func testTask() TaskRun {
	return TaskRun{
		Run:     testRun(),
		Task:    "stage_orders",
		Kind:    "transform",
		Attempt: 1,
		Inputs: []DatasetInfo{{
			Name: "warehouse.raw_orders",
			Fields: []SchemaField{
				{Name: "id", Type: "int"},
				{Name: "amount", Type: "float", Description: "Order total in EUR."},
				{Name: "customer_id", Type: "int"},
			},
			Rows:  new(int64(1200)),
			Bytes: new(int64(96000)),
			Columns: map[string]ColumnMetrics{
				"amount": {
					NullCount: new(int64(0)), Count: new(1200.0), Sum: new(51234.5),
					Min: new(0.5), Max: new(999.0),
					Quantiles: map[string]float64{"0.5": 31.2, "0.99": 870.0},
				},
				"customer_id": {NullCount: new(int64(3)), DistinctCount: new(int64(410))},
			},
		}},
		Outputs: []DatasetInfo{{
			Name: "warehouse.stg_orders",
			Fields: []SchemaField{
				{Name: "id", Type: "int"},
				{Name: "amount_usd", Type: "float"},
				{Name: "customer_id", Type: "int"},
			},
			Rows:  new(int64(1187)),
			Bytes: new(int64(0)),
			Columns: map[string]ColumnMetrics{
				// NaN and infinities cannot be written in JSON and are left out.
				"amount_usd": {NullCount: new(int64(0)), Sum: new(math.NaN()), Max: new(math.Inf(1)), Min: new(0.55),
					Quantiles: map[string]float64{"0.5": math.NaN()}},
			},
		}},
	}
}

// builderFixtures returns events of every type for pipeline runs and task
// attempts, with and without optional parts.
func builderFixtures(t testing.TB) []fixture {
	t.Helper()
	b, err := NewBuilder("vigil-prod", "")
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(90 * time.Second)
	run := testRun()
	failed := run
	failed.Failure = &Failure{Message: "task stage_orders failed: connection refused", StackTrace: "goroutine 1 [running]:\nmain.main()"}
	bare := PipelineRun{ID: "adhoc/manual-1", Pipeline: "adhoc"}

	task := testTask()
	started := task
	started.Inputs = []DatasetInfo{{Name: "warehouse.raw_orders", Fields: task.Inputs[0].Fields}}
	started.Outputs = []DatasetInfo{{Name: "warehouse.stg_orders"}}
	taskFailed := task
	taskFailed.Attempt = 2
	taskFailed.Kind = ""
	taskFailed.Failure = &Failure{Message: "read warehouse.raw_orders: database is locked"}
	taskFailed.Inputs, taskFailed.Outputs = nil, nil
	nested := task
	nested.Run = bare
	nested.Inputs = []DatasetInfo{{Name: "lake.events.clicks", Fields: []SchemaField{
		{Name: "user", Type: "struct", OrdinalPosition: 1, Fields: []SchemaField{{Name: "id", Type: "int"}, {Name: "tags", Type: "array", Fields: []SchemaField{{Name: "_element", Type: "string"}}}}},
	}, Columns: map[string]ColumnMetrics{}}}
	nested.Outputs = []DatasetInfo{{Name: "lake.sessions", Rows: new(int64(0))}}

	var out []fixture
	add := func(name string, ev RunEvent, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, fixture{name, ev})
	}
	for _, typ := range eventTypes {
		ev, err := b.PipelineEvent(typ, run, at)
		add("pipeline_"+strings.ToLower(string(typ)), ev, err)
	}
	ev, err := b.PipelineEvent(EventFail, failed, at)
	add("pipeline_fail_with_error", ev, err)
	ev, err = b.PipelineEvent(EventStart, bare, at)
	add("pipeline_start_bare", ev, err)
	ev, err = b.TaskEvent(EventStart, started, at)
	add("task_start", ev, err)
	ev, err = b.TaskEvent(EventComplete, task, at)
	add("task_complete", ev, err)
	ev, err = b.TaskEvent(EventFail, taskFailed, at)
	add("task_fail", ev, err)
	ev, err = b.TaskEvent(EventAbort, nested, at)
	add("task_abort_nested", ev, err)
	return out
}

// TestBuilderGolden compares what the Builder makes with golden files.
func TestBuilderGolden(t *testing.T) {
	for _, fx := range builderFixtures(t) {
		if fx.name != "task_complete" && fx.name != "pipeline_fail_with_error" && fx.name != "task_abort_nested" {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			got, err := json.MarshalIndent(fx.event, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			file := filepath.Join("testdata", "golden", fx.name+".json")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (run with -update to accept):\n%s", file, got)
			}
		})
	}
}

// TestBuilderEvents checks the identities and links of built events.
func TestBuilderEvents(t *testing.T) {
	b, err := NewBuilder("vigil-prod", "https://example.org/vigil/v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 4, 1, 30, 0, time.FixedZone("CET", 3600))
	run := testRun()
	pev, err := b.PipelineEvent(EventStart, run, at)
	if err != nil {
		t.Fatal(err)
	}
	task := testTask()
	tev, err := b.TaskEvent(EventComplete, task, at)
	if err != nil {
		t.Fatal(err)
	}
	retry := task
	retry.Attempt = 2
	rev, err := b.TaskEvent(EventStart, retry, at)
	if err != nil {
		t.Fatal(err)
	}

	if b.Namespace() != "vigil-prod" {
		t.Errorf("Namespace() = %q", b.Namespace())
	}
	if pev.EventTime != at.UTC() || pev.EventTime.Location() != time.UTC {
		t.Errorf("event time %v, want %v in UTC", pev.EventTime, at.UTC())
	}
	if pev.Producer != "https://example.org/vigil/v1.2.3" || pev.Job.Facets.JobType.Producer != pev.Producer {
		t.Errorf("producer %q, facet producer %q", pev.Producer, pev.Job.Facets.JobType.Producer)
	}
	if got, want := pev.Run.RunID, RunUUID("vigil-prod", run.ID); got != want {
		t.Errorf("pipeline run ID %s, want %s", got, want)
	}
	if pev.Job.Namespace != "vigil-prod" || pev.Job.Name != "orders_mart" || pev.Job.Facets.JobType.JobType != JobTypePipeline {
		t.Errorf("pipeline job %+v", pev.Job)
	}
	if tev.Job.Name != "orders_mart.stage_orders" || tev.Job.Facets.JobType.JobType != "TRANSFORM" {
		t.Errorf("task job %+v", tev.Job)
	}
	parent := tev.Run.Facets.Parent
	if parent == nil || parent.Run.RunID != pev.Run.RunID || parent.Job.Name != "orders_mart" || parent.Job.Namespace != "vigil-prod" {
		t.Fatalf("task parent %+v, want the pipeline run %s", parent, pev.Run.RunID)
	}
	if parent.Root == nil || parent.Root.Run.RunID != parent.Run.RunID || parent.Root.Job.Name != parent.Job.Name {
		t.Errorf("task root %+v, want the parent", parent.Root)
	}
	if tev.Run.RunID == pev.Run.RunID || rev.Run.RunID == tev.Run.RunID {
		t.Errorf("task attempts and the pipeline run share run IDs: %s %s %s", pev.Run.RunID, tev.Run.RunID, rev.Run.RunID)
	}
	if nt := tev.Run.Facets.NominalTime; nt == nil || !nt.NominalStartTime.Equal(t0) || !nt.NominalEndTime.Equal(t0.Add(time.Hour)) {
		t.Errorf("nominal time %+v", nt)
	}
	in := tev.Inputs[0]
	if in.Namespace != "vigil://warehouse" || in.Name != "raw_orders" || len(in.Facets.Schema.Fields) != 3 {
		t.Errorf("input %+v", in)
	}
	if dq := in.InputFacets.DataQualityMetrics; dq == nil || *dq.RowCount != 1200 || *dq.ColumnMetrics["customer_id"].DistinctCount != 410 {
		t.Errorf("input metrics %+v", in.InputFacets.DataQualityMetrics)
	}
	out := tev.Outputs[0]
	if st := out.OutputFacets.OutputStatistics; st == nil || *st.RowCount != 1187 || *st.Size != 0 {
		t.Errorf("output statistics %+v", out.OutputFacets.OutputStatistics)
	}
	if m := out.Facets.DataQualityMetrics.ColumnMetrics["amount_usd"]; m.Sum != nil || m.Max != nil || *m.Min != 0.55 || m.Quantiles != nil {
		t.Errorf("output column metrics %+v: want NaN and infinities left out", m)
	}

	// The events share no memory with their inputs.
	*task.Inputs[0].Rows = 1
	task.Inputs[0].Fields[0].Name = "changed"
	task.Inputs[0].Columns["amount"].Quantiles["0.5"] = -1
	if *tev.Inputs[0].InputFacets.DataQualityMetrics.RowCount != 1200 || tev.Inputs[0].Facets.Schema.Fields[0].Name != "id" ||
		tev.Inputs[0].InputFacets.DataQualityMetrics.ColumnMetrics["amount"].Quantiles["0.5"] != 31.2 {
		t.Error("changing the inputs of the Builder changed the event")
	}
}

func TestBuilderErrors(t *testing.T) {
	b, err := NewBuilder("vigil", "")
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	f := func(want string, build func() error) {
		t.Helper()
		err := build()
		if err == nil || err.Error() != want {
			t.Errorf("got error %v\nwant %s", err, want)
		}
	}
	f(`build event for run "orders_mart/2026-01-02T03:00:00Z": event type "DONE" is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER`, func() error {
		_, err := b.PipelineEvent("DONE", testRun(), at)
		return err
	})
	f(`build event for run "": empty run ID`, func() error {
		_, err := b.PipelineEvent(EventStart, PipelineRun{Pipeline: "p"}, at)
		return err
	})
	f(`build event for run "p/1": empty pipeline name`, func() error {
		_, err := b.PipelineEvent(EventStart, PipelineRun{ID: "p/1"}, at)
		return err
	})
	f(`build event for run "p/1": zero event time`, func() error {
		_, err := b.PipelineEvent(EventStart, PipelineRun{ID: "p/1", Pipeline: "p"}, time.Time{})
		return err
	})
	f(`build event for run "p/1": logical time 10000-01-01 00:00:00 +0000 UTC: want a time in the years 0000-9999 UTC`, func() error {
		_, err := b.PipelineEvent(EventStart, PipelineRun{ID: "p/1", Pipeline: "p", LogicalTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, at)
		return err
	})
	f(`build event for run "p/1": failure without a message`, func() error {
		_, err := b.PipelineEvent(EventFail, PipelineRun{ID: "p/1", Pipeline: "p", Failure: &Failure{}}, at)
		return err
	})
	f(`build event for task "" of run "orders_mart/2026-01-02T03:00:00Z": empty task name`, func() error {
		_, err := b.TaskEvent(EventStart, TaskRun{Run: testRun(), Attempt: 1}, at)
		return err
	})
	f(`build event for task "t" of run "orders_mart/2026-01-02T03:00:00Z": attempt 0: attempts count from 1`, func() error {
		_, err := b.TaskEvent(EventStart, TaskRun{Run: testRun(), Task: "t"}, at)
		return err
	})
	f(`build event for task "t" of run "orders_mart/2026-01-02T03:00:00Z": dataset "orders": want <store>.<name>`, func() error {
		_, err := b.TaskEvent(EventStart, TaskRun{Run: testRun(), Task: "t", Attempt: 1, Inputs: []DatasetInfo{{Name: "orders"}}}, at)
		return err
	})
	f(`build event for task "t" of run "orders_mart/2026-01-02T03:00:00Z": dataset "s3://b.k": store "s3://b" may hold only letters, digits, '-' and '_'`, func() error {
		_, err := b.TaskEvent(EventStart, TaskRun{Run: testRun(), Task: "t", Attempt: 1, Outputs: []DatasetInfo{{Name: "s3://b.k"}}}, at)
		return err
	})
	f(`new lineage builder: empty job namespace`, func() error {
		_, err := NewBuilder("", "")
		return err
	})
	f(`new lineage builder: producer "vigil" is not an absolute URI`, func() error {
		_, err := NewBuilder("vigil", "vigil")
		return err
	})
}

func TestUUID5(t *testing.T) {
	// The example of RFC 9562 (and Python's uuid.uuid5) for the DNS
	// namespace.
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got := uuid5(dns, "www.example.com"); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("uuid5(DNS, www.example.com) = %s", got)
	}
	url := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	var space [16]byte
	hexSpace := strings.ReplaceAll(uuid5(url, "https://github.com/vigil-aiops/vigil"), "-", "")
	for i := range space {
		var v byte
		for _, c := range hexSpace[2*i : 2*i+2] {
			v = v<<4 | byte(strings.IndexRune("0123456789abcdef", c))
		}
		space[i] = v
	}
	if space != runUUIDSpace {
		t.Errorf("runUUIDSpace is not the UUIDv5 of Vigil's URL: %x", space)
	}
	// The value Python computes: uuid5(UUID("65e7f065-..."), "vigil\0orders_mart/...").
	if got := RunUUID("vigil", "orders_mart/2026-01-02T03:00:00Z"); got != "753619a7-ec3b-57d8-a1ed-f6d221a3b1a5" {
		t.Errorf("RunUUID = %s", got)
	}
	if RunUUID("a", "b/c") == RunUUID("a/b", "c") {
		t.Error("RunUUID confuses namespace and run ID")
	}
	if got, want := TaskRunUUID("vigil", "p/1", "t", 2), RunUUID("vigil", "p/1/t/2"); got != want {
		t.Errorf("TaskRunUUID = %s, want %s", got, want)
	}
}

func TestDatasetIdentity(t *testing.T) {
	f := func(vigil, namespace, name, wantErr string) {
		t.Helper()
		ns, n, err := DatasetIdentity(vigil)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Errorf("DatasetIdentity(%q): error %v, want %s", vigil, err, wantErr)
			}
			return
		}
		if err != nil || ns != namespace || n != name {
			t.Errorf("DatasetIdentity(%q) = %q, %q, %v; want %q, %q", vigil, ns, n, err, namespace, name)
		}
		back, ok := VigilDatasetName(ns, n)
		if !ok || back != vigil {
			t.Errorf("VigilDatasetName(%q, %q) = %q, %v; want %q", ns, n, back, ok, vigil)
		}
	}
	f("warehouse.raw_orders", "vigil://warehouse", "raw_orders", "")
	f("warehouse.sales.orders", "vigil://warehouse", "sales.orders", "")
	f("shop-eu.api_orders", "vigil://shop-eu", "api_orders", "")
	f("orders", "", "", `dataset "orders": want <store>.<name>`)
	f(".orders", "", "", `dataset ".orders": want <store>.<name>`)
	f("warehouse.", "", "", `dataset "warehouse.": want <store>.<name>`)
	f("ware house.x", "", "", `dataset "ware house.x": store "ware house" may hold only letters, digits, '-' and '_'`)

	for _, c := range [][2]string{{"postgres://db:5432", "public.orders"}, {"vigil://", "x"}, {"vigil://a/b", "x"}, {"vigil://warehouse", ""}} {
		if got, ok := VigilDatasetName(c[0], c[1]); ok {
			t.Errorf("VigilDatasetName(%q, %q) = %q, want not Vigil's", c[0], c[1], got)
		}
	}
}
