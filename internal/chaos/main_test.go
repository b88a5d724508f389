package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is a Monday at midnight, where the tests' time starts.
var t0 = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

// fault returns a valid fault of kind k on target, active for an hour
// from t0, at intensity 1.
func fault(id string, k Kind, target string, mods ...func(*Fault)) Fault {
	tg, err := ParseTarget(target)
	if err != nil {
		panic(err)
	}
	f := Fault{ID: id, Kind: k, Target: tg, Start: t0, Duration: time.Hour, Intensity: 1}
	if k == SchemaChange {
		f.Change = ColumnRenamed
	}
	for _, m := range mods {
		m(&f)
	}
	return f
}

// newInjector returns an injector of faults on a simulated clock reading
// t0 plus 10 minutes, and where its truth goes.
func newInjector(t *testing.T, opts Options, faults ...Fault) (*Injector, *Truths, *clock.Sim) {
	t.Helper()
	truth := &Truths{}
	sim := clock.NewSim(t0.Add(10 * time.Minute))
	opts.Schedule, opts.Clock, opts.Truth = faults, sim, truth
	in, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := in.Err(); err != nil {
			t.Errorf("injector error: %v", err)
		}
	})
	return in, truth, sim
}

// testRun is the run the connector tests read and write for.
var testRun = connector.RunInfo{RunID: "orders/2030-01-07T00:00:00Z", Pipeline: "orders", Task: "extract", Attempt: 1, LogicalTime: t0}

// readAll reads src for testRun and returns the schema and rows.
func readAll(t *testing.T, src connector.Source) (connector.Schema, [][]any, error) {
	t.Helper()
	var (
		schema connector.Schema
		rows   [][]any
	)
	err := connector.ReadRun(context.Background(), src, connector.ReadOptions{Run: testRun}, func(b connector.Batch) error {
		if schema != nil && !schema.Equal(b.Schema) {
			return fmt.Errorf("batch schema %s differs from %s", b.Schema, schema)
		}
		schema = b.Schema
		rows = append(rows, b.Rows...)
		return nil
	})
	return schema, rows, err
}

// ordersCSV writes n orders to a csv file in a new directory and returns
// a registry based there, the source's settings and the directory.
func ordersCSV(t *testing.T, n int) (*connector.Registry, map[string]any, string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,amount,status,customer_id\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%d.5,%s,%d\n", i+1, 10+i%7, []string{"paid", "void"}[i%2], 100+i%13)
	}
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return connector.NewRegistry(connector.Options{BaseDir: dir}), map[string]any{"path": "orders.csv", "batch_size": 64}, dir
}

// newSource builds a source of kind from reg.
func newSource(t *testing.T, reg *connector.Registry, kind string, settings map[string]any) connector.Source {
	t.Helper()
	src, err := reg.NewSource(kind, settings)
	if err != nil {
		t.Fatalf("new %s source: %v", kind, err)
	}
	return src
}

// only returns the single record in truth, failing if there is not one.
func only(t *testing.T, truth *Truths) GroundTruth {
	t.Helper()
	recs := truth.Records()
	if len(recs) != 1 {
		t.Fatalf("%d ground-truth records, want 1: %+v", len(recs), recs)
	}
	return recs[0]
}

// checkTruth checks that g records f, applied at at.
func checkTruth(t *testing.T, g GroundTruth, f Fault, at time.Time) {
	t.Helper()
	if g.Fault != f.ID || g.Kind != f.Kind || g.Target != f.Target || !g.Start.Equal(f.Start) ||
		!g.End.Equal(f.End()) || g.Intensity != f.Intensity || !g.At.Equal(at) || g.Effect == "" {
		t.Errorf("ground truth %+v does not record fault %+v applied at %v", g, f, at)
	}
}

// newSimAt returns a simulated clock reading t.
func newSimAt(t time.Time) *clock.Sim { return clock.NewSim(t) }
