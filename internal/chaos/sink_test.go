package chaos

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// countRows returns the rows of table in the SQLite database w.db of reg,
// based in dir, or -1 if the database or the table does not exist.
func countRows(t *testing.T, reg *connector.Registry, dir, table string) int {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "w.db")); errors.Is(err, fs.ErrNotExist) {
		return -1
	}
	src, err := reg.NewSource("sqlite", map[string]any{"path": "w.db", "query": "SELECT count(*) AS n FROM sqlite_master WHERE name = '" + table + "'"})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] == int64(0) {
		return -1
	}
	_, rows, err = readAll(t, newSource(t, reg, "sqlite", map[string]any{"path": "w.db", "table": table}))
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func TestSinkFullOnSQLite(t *testing.T) {
	dir := t.TempDir()
	reg := connector.NewRegistry(connector.Options{BaseDir: dir})
	settings := map[string]any{"path": "w.db", "table": "orders", "mode": "append"}
	schema := connector.Schema{{Name: "id", Type: "int"}}
	batch := func(n int) connector.Batch {
		b := connector.Batch{Schema: schema}
		for i := range n {
			b.Rows = append(b.Rows, []any{int64(i)})
		}
		return b
	}
	flt := fault("f1", SinkFull, "endpoint:sqlite:w.db")
	in, truth, _ := newInjector(t, Options{}, flt)
	newSink := func() connector.Sink {
		s, err := reg.NewSink("sqlite", settings)
		if err != nil {
			t.Fatal(err)
		}
		return in.Sink(s, Subject{Sink: "sqlite:w.db", Outputs: []string{"raw.orders"}})
	}

	// Many batches through an unbuffered channel: the producer is never
	// left blocked.
	ch := make(chan connector.Batch)
	go func() {
		defer close(ch)
		for range 20 {
			ch <- batch(10)
		}
	}()
	_, err := newSink().Write(context.Background(), testRun, schema, ch)
	if connector.Classify(err) != connector.ClassSinkFull || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write = %v (%s), want sink_full wrapping ENOSPC", err, connector.Classify(err))
	}
	if n := countRows(t, reg, dir, "orders"); n != -1 {
		t.Errorf("the table was created, with %d rows", n)
	}
	g := only(t, truth)
	checkTruth(t, g, flt, at)
	if g.Effect != "failed the load of 200 rows with sink_full" || g.Run != testRun.RunID || g.Task != "extract" {
		t.Errorf("ground truth %+v", g)
	}

	// The fault on another endpoint, or over, lets loads through.
	for _, f := range []Fault{
		fault("other", SinkFull, "endpoint:sqlite:other.db"),
		fault("source", SourceErrors, "endpoint:sqlite:w.db"),
	} {
		in, truth, _ = newInjector(t, Options{}, f)
		if _, err := connector.WriteAll(context.Background(), newSink(), testRun, schema, batch(5)); err != nil {
			t.Fatalf("%s: %v", f.ID, err)
		}
		if len(truth.Records()) != 0 {
			t.Errorf("%s: records %+v", f.ID, truth.Records())
		}
	}
	if n := countRows(t, reg, dir, "orders"); n != 5 {
		t.Errorf("%d rows loaded, want 5", n)
	}
}

func TestSinkFullEndsWithTheContext(t *testing.T) {
	in, _, _ := newInjector(t, Options{}, fault("f1", SinkFull, "dataset:raw.orders"))
	var next connector.Sink // Never reached.
	s := in.Sink(next, Subject{Outputs: []string{"raw.orders"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Write(ctx, testRun, nil, make(chan connector.Batch)); !errors.Is(err, context.Canceled) {
		t.Fatalf("write = %v, want the context's error", err)
	}
}
