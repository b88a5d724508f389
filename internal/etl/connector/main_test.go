package connector

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// read reads src with a row error handler that collects bad rows, and
// returns the schema of the first batch, every row, and the bad rows.
func read(t *testing.T, src Source, run RunInfo) (Schema, [][]any, []*RowError) {
	t.Helper()
	var schema Schema
	var rows [][]any
	var bad []*RowError
	opts := ReadOptions{Run: run, OnRowError: func(e *RowError) error {
		bad = append(bad, e)
		return nil
	}}
	err := ReadRun(context.Background(), src, opts, func(b Batch) error {
		if schema == nil {
			schema = b.Schema
		} else if !schema.Equal(b.Schema) {
			t.Fatalf("batch schema changed from %s to %s", schema, b.Schema)
		}
		rows = append(rows, b.Rows...)
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return schema, rows, bad
}

// newTestRegistry returns a registry whose relative paths resolve in a
// temporary directory, which it returns too.
func newTestRegistry(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	return NewRegistry(Options{BaseDir: dir}), dir
}

func mustSource(t *testing.T, r *Registry, kind string, settings map[string]any) Source {
	t.Helper()
	src, err := r.NewSource(kind, settings)
	if err != nil {
		t.Fatalf("NewSource(%s): %v", kind, err)
	}
	return src
}

func mustSink(t *testing.T, r *Registry, kind string, settings map[string]any) Sink {
	t.Helper()
	sink, err := r.NewSink(kind, settings)
	if err != nil {
		t.Fatalf("NewSink(%s): %v", kind, err)
	}
	return sink
}

// ts returns the UTC time of an RFC 3339 string.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}
