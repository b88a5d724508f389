package chaos

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// at is when the tests' injectors apply faults: their clock's reading.
var at = t0.Add(10 * time.Minute)

func TestSourceLatencyWaitsOnTheClock(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 10)
	f := fault("f1", SourceLatency, "endpoint:csv:orders.csv", func(f *Fault) { f.Intensity = 0.5 })
	in, truth, sim := newInjector(t, Options{Effects: Effects{MaxLatency: 4 * time.Second}}, f)
	src := in.Source(newSource(t, reg, "csv", settings), Subject{Source: "csv:orders.csv"})
	done := make(chan error, 1)
	go func() {
		_, rows, err := readAll(t, src)
		if err == nil && len(rows) != 10 {
			err = errors.New("rows went missing")
		}
		done <- err
	}()
	for sim.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	sim.Advance(2*time.Second - time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the read ended before its delay passed: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	sim.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g := only(t, truth)
	checkTruth(t, g, f, at)
	if g.Pipeline != "orders" || g.Task != "extract" || g.Run != testRun.RunID || g.Attempt != 1 || g.Effect != "delayed the read by 2s" {
		t.Errorf("ground truth %+v", g)
	}
}

func TestSourceLatencyEndsWithTheContext(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 10)
	in, _, _ := newInjector(t, Options{}, fault("f1", SourceLatency, "pipeline:orders"))
	src := in.Source(newSource(t, reg, "csv", settings), Subject{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := connector.ReadRun(ctx, src, connector.ReadOptions{Run: testRun}, func(connector.Batch) error { return nil })
	if connector.Classify(err) != connector.ClassTimeout {
		t.Fatalf("read = %v (%s), want a timeout", err, connector.Classify(err))
	}
}

func TestSourceErrors(t *testing.T) {
	f := func(class connector.Class, cause error) {
		t.Helper()
		reg, settings, _ := ordersCSV(t, 10)
		flt := fault("f1", SourceErrors, "task:orders/extract", func(f *Fault) { f.Class = class })
		in, truth, _ := newInjector(t, Options{}, flt)
		_, rows, err := readAll(t, in.Source(newSource(t, reg, "csv", settings), Subject{Source: "csv:orders.csv"}))
		if got := connector.Classify(err); got != (Fault{Class: class}).class() || len(rows) != 0 {
			t.Fatalf("%s: read %d rows, error %v of class %s", class, len(rows), err, got)
		}
		if cause != nil && !errors.Is(err, cause) {
			t.Errorf("%s: error %v does not wrap %v", class, err, cause)
		}
		checkTruth(t, only(t, truth), flt, at)
	}
	f("", syscall.ECONNRESET)
	f(connector.ClassTimeout, os.ErrDeadlineExceeded)
	f(connector.ClassHTTP5xx, nil)
	f(connector.ClassRateLimited, nil)
	f(connector.ClassLocked, nil)
}

func TestSourceErrorRate(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 1)
	flt := fault("f1", SourceErrors, "pipeline:orders", func(f *Fault) { f.Intensity = 0.3 })
	in, truth, _ := newInjector(t, Options{}, flt)
	src := in.Source(newSource(t, reg, "csv", settings), Subject{})
	failed := 0
	const reads = 400
	for i := range reads {
		run := testRun
		run.Attempt = i + 1
		err := connector.ReadRun(context.Background(), src, connector.ReadOptions{Run: run}, func(connector.Batch) error { return nil })
		if err != nil {
			failed++
		}
	}
	if math.Abs(float64(failed)/reads-0.3) > 0.07 {
		t.Errorf("%d of %d reads failed, want about 30%%", failed, reads)
	}
	if n := len(truth.Records()); n != failed {
		t.Errorf("%d records for %d failed reads", n, failed)
	}
}

func TestSourceSchemaChanges(t *testing.T) {
	f := func(change ColumnChange, column string, wantSchema string, check func(row []any) bool) {
		t.Helper()
		reg, settings, _ := ordersCSV(t, 100)
		flt := fault("f1", SchemaChange, "dataset:raw.orders", func(f *Fault) { f.Change, f.Column = change, column })
		in, truth, _ := newInjector(t, Options{}, flt)
		schema, rows, err := readAll(t, in.Source(newSource(t, reg, "csv", settings), Subject{Outputs: []string{"raw.orders"}}))
		if err != nil {
			t.Fatal(err)
		}
		if schema.String() != wantSchema || len(rows) != 100 {
			t.Fatalf("%s %s: %d rows of %s, want 100 of %s", change, column, len(rows), schema, wantSchema)
		}
		for _, row := range rows {
			if len(row) != len(schema) || !check(row) {
				t.Fatalf("%s %s: row %v", change, column, row)
			}
		}
		g := only(t, truth)
		checkTruth(t, g, flt, at)
		t.Logf("%s: %s", change, g.Effect)
	}
	f(ColumnAdded, "", "id int, amount float, status string, customer_id int, chaos_added string",
		func(row []any) bool { return row[4] == "added" })
	f(ColumnAdded, "status", "id int, amount float, status string, customer_id int, status_ string",
		func(row []any) bool { return row[4] == "added" })
	f(ColumnRemoved, "amount", "id int, status string, customer_id int",
		func(row []any) bool { _, ok := row[1].(string); return ok })
	f(ColumnRenamed, "", "id int, amount float, status string, customer_id_renamed int",
		func(row []any) bool { _, ok := row[3].(int64); return ok })
	f(ColumnTypeChanged, "amount", "id int, amount string, status string, customer_id int",
		func(row []any) bool { s, ok := row[1].(string); return ok && strings.HasSuffix(s, ".5") })
	f(ColumnTypeChanged, "status", "id int, amount float, status int, customer_id int",
		func(row []any) bool { return row[2] == nil })
	f(ColumnRemoved, "nope", "id int, amount float, status string, customer_id int",
		func(row []any) bool { return true })
}

func TestSourceDriftOnSQLite(t *testing.T) {
	reg := connector.NewRegistry(connector.Options{BaseDir: t.TempDir()})
	sink, err := reg.NewSink("sqlite", map[string]any{"path": "w.db", "table": "orders", "mode": "replace"})
	if err != nil {
		t.Fatal(err)
	}
	schema := connector.Schema{{Name: "id", Type: "int"}, {Name: "qty", Type: "int"}, {Name: "amount", Type: "float"}, {Name: "status", Type: "string"}}
	var rows [][]any
	for i := range 50 {
		rows = append(rows, []any{int64(i + 1), int64(2), 10.0, "paid"})
	}
	if _, err := connector.WriteAll(context.Background(), sink, testRun, schema, connector.Batch{Schema: schema, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	settings := map[string]any{"path": "w.db", "query": "SELECT id, qty, amount, status FROM orders ORDER BY id"}

	f := func(column string, want []any) {
		t.Helper()
		flt := fault("f1", Drift, "endpoint:sqlite:w.db", func(f *Fault) { f.Intensity, f.Column = 0.25, column })
		in, truth, _ := newInjector(t, Options{}, flt)
		_, got, err := readAll(t, in.Source(newSource(t, reg, "sqlite", settings), Subject{Source: "sqlite:w.db"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 50 {
			t.Fatalf("%d rows, want 50", len(got))
		}
		for i, row := range got {
			want[0] = int64(i + 1)
			for j := range want {
				if row[j] != want[j] {
					t.Fatalf("column %q: row %v, want %v", column, row, want)
				}
			}
		}
		checkTruth(t, only(t, truth), flt, at)
	}
	// 1 + 0.25 × 2: ids stay, the rest scales by 1.5.
	f("", []any{nil, int64(3), 15.0, "paid"})
	f("amount", []any{nil, int64(2), 15.0, "paid"})
}

// generateSettings are the settings of a generate source of 1000 rows an
// hour with times.
var generateSettings = map[string]any{
	"seed": 3, "rows": 1000, "batch_size": 128,
	"columns": []any{
		map[string]any{"name": "id", "dist": "sequence"},
		map[string]any{"name": "amount", "dist": "lognormal", "mu": 3, "sigma": 0.5},
		map[string]any{"name": "created_at", "dist": "timestamp"},
	},
}

func TestSourceVolumeOnGenerate(t *testing.T) {
	f := func(k Kind, intensity float64, want int) {
		t.Helper()
		reg := connector.NewRegistry(connector.Options{})
		flt := fault("f1", k, "dataset:raw.orders", func(f *Fault) { f.Intensity = intensity })
		in, truth, _ := newInjector(t, Options{}, flt)
		_, rows, err := readAll(t, in.Source(newSource(t, reg, "generate", generateSettings), Subject{Outputs: []string{"raw.orders"}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != want {
			t.Fatalf("%s %v: %d rows, want %d", k, intensity, len(rows), want)
		}
		if k == VolumeSpike && &rows[0][0] == &rows[1][0] {
			t.Error("repeated rows share their values")
		}
		g := only(t, truth)
		checkTruth(t, g, flt, at)
		t.Log(g.Effect)
	}
	f(VolumeDrop, 0.75, 250)
	f(VolumeDrop, 1, 0)
	f(VolumeSpike, 0.5, 5500) // 1 + 0.5 × 9.
}

func TestSourceLateDataOnGenerate(t *testing.T) {
	reg := connector.NewRegistry(connector.Options{})
	flt := fault("f1", LateData, "task:orders/extract", func(f *Fault) { f.Intensity = 0.4 })
	in, truth, _ := newInjector(t, Options{Effects: Effects{LateBy: 6 * time.Hour}}, flt)
	_, rows, err := readAll(t, in.Source(newSource(t, reg, "generate", generateSettings), Subject{}))
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for _, row := range rows {
		ts := row[2].(time.Time)
		switch {
		case !ts.Before(t0) && ts.Before(t0.Add(time.Hour)):
		case !ts.Before(t0.Add(-6*time.Hour)) && ts.Before(t0.Add(-5*time.Hour)):
			late++
		default:
			t.Fatalf("row time %v is neither in the run's hour nor 6h before it", ts)
		}
	}
	if len(rows) != 1000 || late != 400 {
		t.Errorf("%d of %d rows late, want 400 of 1000", late, len(rows))
	}
	g := only(t, truth)
	checkTruth(t, g, flt, at)
	if g.Effect != "made 400 of 1000 rows 6h0m0s late (created_at)" {
		t.Errorf("effect %q", g.Effect)
	}
}

// TestSourceUntouched checks that faults that are not active, or strike
// something else, leave a read alone and record nothing.
func TestSourceUntouched(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 100)
	_, want, err := readAll(t, newSource(t, reg, "csv", settings))
	if err != nil {
		t.Fatal(err)
	}
	in, truth, _ := newInjector(t, Options{},
		fault("later", VolumeDrop, "dataset:raw.orders", func(f *Fault) { f.Start = t0.Add(time.Hour) }),
		fault("other", VolumeDrop, "dataset:raw.customers"),
		fault("sink", SinkFull, "endpoint:csv:orders.csv"),
		fault("agent", AgentCrash, "agent:a1"),
		fault("task", VolumeDrop, "task:orders/load"),
	)
	_, got, err := readAll(t, in.Source(newSource(t, reg, "csv", settings), Subject{Agent: "a1", Source: "csv:orders.csv", Outputs: []string{"raw.orders"}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("read %d rows, want %d", len(got), len(want))
	}
	if recs := truth.Records(); len(recs) != 0 {
		t.Errorf("records %+v", recs)
	}
}

// TestSourceFaultsCombine applies a drop, drift and a schema change to one
// read: every other row is dropped, amounts doubled, the column renamed.
func TestSourceFaultsCombine(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 100)
	in, truth, _ := newInjector(t, Options{},
		fault("rename", SchemaChange, "dataset:raw.orders", func(f *Fault) { f.Column = "amount" }),
		fault("drift", Drift, "dataset:raw.orders", func(f *Fault) { f.Column = "amount"; f.Intensity = 0.5 }),
		fault("drop", VolumeDrop, "pipeline:orders", func(f *Fault) { f.Intensity = 0.5 }),
	)
	schema, rows, err := readAll(t, in.Source(newSource(t, reg, "csv", settings), Subject{Outputs: []string{"raw.orders"}}))
	if err != nil {
		t.Fatal(err)
	}
	if schema.Index("amount_renamed") != 1 || len(rows) != 50 || rows[0][0] != int64(2) || rows[0][1] != 23.0 {
		t.Fatalf("%d rows of %s, first %v", len(rows), schema, rows[0])
	}
	if n := len(truth.Records()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
}
