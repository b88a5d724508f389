package task

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // The SQLite driver the sqlite connector uses.

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// fixture is a directory with an orders CSV and an empty warehouse.
type fixture struct {
	dir    string
	runner *Runner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	csv := "id,customer_id,amount,created_at\n" +
		"1,10,12.50,2026-11-24T09:00:00Z\n" +
		"2,11,-3.00,2026-11-24T09:05:00Z\n" +
		"3,10,7.25,2026-11-24T09:10:00Z\n" +
		"4,,99.00,2026-11-24T09:15:00Z\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := connector.NewRegistry(connector.Options{BaseDir: dir})
	return &fixture{dir: dir, runner: New(reg, slog.New(slog.DiscardHandler), nil)}
}

func (f *fixture) assignment(runID string, attempt int, task spec.Task) agent.Assignment {
	return agent.Assignment{
		AttemptRef:  agent.AttemptRef{RunID: runID, Task: task.Name, Attempt: attempt},
		Pipeline:    "orders",
		LogicalTime: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		Spec:        task,
	}
}

func (f *fixture) query(t *testing.T, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "warehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out string
	if err := db.QueryRow(q).Scan(&out); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func stageTask() spec.Task {
	return spec.Task{
		Name:   "stage_orders",
		Kind:   spec.KindTransform,
		Source: &spec.Endpoint{Connector: "csv", Settings: map[string]any{"path": "orders.csv"}},
		Transform: []spec.Step{
			{Filter: "row.amount > 0.0"},
			{Map: spec.Pairs{{Column: "id", Value: "row.id"}, {Column: "customer_id", Value: "row.customer_id"}, {Column: "amount_usd", Value: "row.amount * 1.1"}}},
			{Cast: spec.Pairs{{Column: "id", Value: "int"}}},
		},
		Sink:       &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "warehouse.db", "table": "stg_orders", "mode": "append"}},
		OnRowError: spec.RowErrorPolicy("fail"),
	}
}

func TestCopyIsIdempotentPerRun(t *testing.T) {
	f := newFixture(t)
	task := stageTask()
	res := f.runner.Run(context.Background(), f.assignment("orders/2026-11-24T09:00:00Z", 1, task))
	if res.Failed() {
		t.Fatalf("attempt 1: %s (%s)", res.Error, res.Class)
	}
	if res.RowsIn != 4 || res.RowsOut != 3 || res.Bytes == 0 || res.Wall <= 0 || res.CPU <= 0 || res.CPU > 10*res.Wall || len(res.Logs) == 0 {
		t.Fatalf("usage %+v, %d log lines", res.Usage, len(res.Logs))
	}
	// A retry of the same run replaces that run's rows instead of adding to them.
	if res := f.runner.Run(context.Background(), f.assignment("orders/2026-11-24T09:00:00Z", 2, task)); res.Failed() {
		t.Fatalf("attempt 2: %s", res.Error)
	}
	if got := f.query(t, "SELECT count(*) FROM stg_orders"); got != "3" {
		t.Fatalf("after a retry of the same run: %s rows, want 3", got)
	}
	// Another run appends.
	if res := f.runner.Run(context.Background(), f.assignment("orders/2026-11-24T10:00:00Z", 1, task)); res.Failed() {
		t.Fatalf("next run: %s", res.Error)
	}
	if got := f.query(t, "SELECT count(*) FROM stg_orders"); got != "6" {
		t.Fatalf("after a second run: %s rows, want 6", got)
	}
	if got := f.query(t, "SELECT printf('%.2f', sum(amount_usd)) FROM stg_orders WHERE _vigil_run_id = 'orders/2026-11-24T09:00:00Z'"); got != "130.63" {
		t.Fatalf("sum of transformed amounts = %s", got)
	}
}

func TestBadExpressionFailsBeforeReading(t *testing.T) {
	f := newFixture(t)
	task := stageTask()
	task.Transform[0].Filter = "row.amount >"
	res := f.runner.Run(context.Background(), f.assignment("orders/x", 1, task))
	if !res.Failed() || res.Class != "config" || res.RowsIn != 0 || !strings.Contains(res.Error, "row.amount >") {
		t.Fatalf("got %q (%s), %d rows read", res.Error, res.Class, res.RowsIn)
	}
}

func TestRowFailureFailsTaskAndLoadsNothing(t *testing.T) {
	f := newFixture(t)
	task := stageTask()
	// The first row divides by zero.
	task.Transform = append(task.Transform, spec.Step{Map: spec.Pairs{{Column: "ratio", Value: "100 / (row.id - 1)"}}})
	res := f.runner.Run(context.Background(), f.assignment("orders/x", 1, task))
	if !res.Failed() {
		t.Fatal("a row that fails a transform must fail the task under on_row_error: fail")
	}
	if !strings.Contains(res.Error, "row 1") || !strings.Contains(res.Error, "division by zero") {
		t.Fatalf("the error must name the row and the reason: %s", res.Error)
	}
	db, _ := sql.Open("sqlite", filepath.Join(f.dir, "warehouse.db"))
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM stg_orders").Scan(&n); err == nil && n != 0 {
		t.Fatalf("a failed attempt left %d rows behind", n)
	}
}

func TestSQLAndChecks(t *testing.T) {
	f := newFixture(t)
	if res := f.runner.Run(context.Background(), f.assignment("orders/r1", 1, stageTask())); res.Failed() {
		t.Fatal(res.Error)
	}
	build := spec.Task{Name: "by_customer", Kind: spec.KindTransform, SQL: &spec.SQL{
		Endpoint:  spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "warehouse.db"}},
		Statement: "CREATE TABLE IF NOT EXISTS by_customer (customer_id INTEGER, total REAL); DELETE FROM by_customer; INSERT INTO by_customer SELECT customer_id, sum(amount_usd) FROM stg_orders GROUP BY 1",
	}}
	if res := f.runner.Run(context.Background(), f.assignment("orders/r1", 1, build)); res.Failed() || res.RowsOut != 2 {
		t.Fatalf("sql: %q, %d rows", res.Error, res.RowsOut)
	}
	check := func(asserts ...string) agent.Result {
		return f.runner.Run(context.Background(), f.assignment("orders/r1", 1, spec.Task{
			Name: "check", Kind: spec.KindCheck, Assert: asserts,
			Source: &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "warehouse.db", "query": "SELECT * FROM stg_orders"}},
		}))
	}
	if res := check("rows == 3", "max.amount_usd < 200.0", "distinct.id == 3"); res.Failed() {
		t.Fatalf("passing check failed: %s", res.Error)
	}
	res := check("rows > 0", "nulls.customer_id == 0", "min.amount_usd > 50.0")
	if !res.Failed() || res.Class != "data" || !strings.Contains(res.Error, `"nulls.customer_id == 0"`) || !strings.Contains(res.Error, `"min.amount_usd > 50.0"`) || strings.Contains(res.Error, `"rows > 0"`) {
		t.Fatalf("failing check: %q (%s)", res.Error, res.Class)
	}
	if res := check("rows +"); !res.Failed() || res.Class != "config" {
		t.Fatalf("bad assertion: %q (%s)", res.Error, res.Class)
	}
}

func TestTimeoutIsClassified(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	res := f.runner.Run(ctx, f.assignment("orders/x", 1, stageTask()))
	if !res.Failed() || res.Class != "timeout" {
		t.Fatalf("got %q (%s)", res.Error, res.Class)
	}
}

// TestSinkFailureIsNotATimeout loads many batches into a table whose
// schema does not fit: the sink fails at once, and the attempt must report
// the sink's class, not wait for its timeout.
func TestSinkFailureIsNotATimeout(t *testing.T) {
	f := newFixture(t)
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "warehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE wide (x TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	task := spec.Task{Name: "gen", Kind: spec.KindExtract,
		Source: &spec.Endpoint{Connector: "generate", Settings: map[string]any{"rows": 20000, "seed": 1, "batch_size": 10,
			"columns": []any{map[string]any{"name": "id", "type": "int", "dist": "sequence"}}}},
		Sink: &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "warehouse.db", "table": "wide", "mode": "append"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	res := f.runner.Run(ctx, f.assignment("gen/x", 1, task))
	if !res.Failed() || res.Class == "timeout" || time.Since(began) > 5*time.Second {
		t.Fatalf("got %q (%s) after %s; want the sink's error at once", res.Error, res.Class, time.Since(began))
	}
}
