package connector

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func fileTarget(kind, name string) func(t *testing.T) sinkTarget {
	return func(t *testing.T) sinkTarget {
		r, dir := newTestRegistry(t)
		return sinkTarget{
			kind: kind,
			sink: func(t *testing.T, mode WriteMode, _ []string) Sink {
				return mustSink(t, r, kind, map[string]any{"path": name, "mode": string(mode)})
			},
			readBack: func(t *testing.T) (Schema, [][]any) {
				// Declared columns, so that types survive files holding nulls only.
				cols := []any{}
				for _, c := range testSchema {
					cols = append(cols, map[string]any{"name": c.Name, "type": string(c.Type)})
				}
				schema, rows, bad := read(t, mustSource(t, r, kind, map[string]any{"path": filepath.Join(dir, name), "columns": cols}), RunInfo{})
				if len(bad) > 0 {
					t.Fatalf("bad rows reading back: %v", bad)
				}
				return stripRunID(schema, rows)
			},
		}
	}
}

func TestCSVSink(t *testing.T) { testSink(t, sinkFeatures{}, fileTarget("csv", "out/orders.csv")) }
func TestJSONLSink(t *testing.T) {
	testSink(t, sinkFeatures{}, fileTarget("jsonl", "out/orders.jsonl"))
}

func TestFileSinkLeavesNoTemporaryFiles(t *testing.T) {
	r, dir := newTestRegistry(t)
	sink := mustSink(t, r, "csv", map[string]any{"path": "x.csv"})
	mustWrite(t, sink, runInfo(1), testBatch(0, 1))
	_ = writeThenCancel(sink, runInfo(2), 1, testBatch(0, 2), testBatch(0, 3))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "x.csv" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want x.csv only", names)
	}
}

func TestCSVSinkAppendChecksHeader(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "x.csv", "id,name\n1,a\n")
	_, err := WriteAll(context.Background(), mustSink(t, r, "csv", map[string]any{"path": "x.csv"}), runInfo(1), testSchema, testBatch(0, 1))
	if Classify(err) != ClassSchema || !strings.Contains(err.Error(), "existing columns (id, name) differ") {
		t.Errorf("append to a file with other columns = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "x.csv")); string(b) != "id,name\n1,a\n" {
		t.Errorf("file changed to %q", b)
	}
}

func TestJSONLSinkRejectsNaN(t *testing.T) {
	r, _ := newTestRegistry(t)
	b := testBatch(0, 1)
	b.Rows[0][1] = nanValue()
	_, err := WriteAll(context.Background(), mustSink(t, r, "jsonl", map[string]any{"path": "x.jsonl"}), runInfo(1), testSchema, b)
	if Classify(err) != ClassData || !strings.Contains(err.Error(), "NaN cannot be written as JSON") {
		t.Errorf("NaN = %v", err)
	}
}

func TestJSONLSinkKeepsForeignLines(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "x.jsonl", "not json\n{\"id\": 9}\n")
	mustWrite(t, mustSink(t, r, "jsonl", map[string]any{"path": "x.jsonl"}), runInfo(1), testBatch(0, 1))
	b, _ := os.ReadFile(filepath.Join(dir, "x.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "not json" || !strings.HasSuffix(lines[2], `"_vigil_run_id":"test/2024-01-01T00:00:00Z"}`) {
		t.Errorf("file = %q", b)
	}
}

func TestFileSinkConcurrentLoads(t *testing.T) {
	r, dir := newTestRegistry(t)
	const runs = 8
	errs := make(chan error, runs)
	for i := range runs {
		// Two spellings of one path share one lock.
		path := "c.jsonl"
		if i%2 == 0 {
			path = filepath.Join(dir, "c.jsonl")
		}
		sink := mustSink(t, r, "jsonl", map[string]any{"path": path})
		go func() {
			_, err := WriteAll(context.Background(), sink, runInfo(i+1), testSchema, testBatch(0, int64(i)))
			errs <- err
		}()
	}
	for range runs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	cols := []any{}
	for _, c := range testSchema {
		cols = append(cols, map[string]any{"name": c.Name, "type": string(c.Type)})
	}
	_, rows, _ := read(t, mustSource(t, r, "jsonl", map[string]any{"path": "c.jsonl", "columns": cols}), RunInfo{})
	if len(rows) != runs {
		t.Errorf("%d rows after %d concurrent loads, want %d", len(rows), runs, runs)
	}
}

func TestPathLockHonoursContext(t *testing.T) {
	l := &pathLocks{held: map[string]chan struct{}{}}
	unlock, err := l.lock(context.Background(), "/x")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.lock(ctx, "/x"); err == nil {
		t.Error("lock of a held path with a cancelled context succeeded")
	}
	unlock()
	unlock2, err := l.lock(context.Background(), "/x")
	if err != nil {
		t.Fatal(err)
	}
	unlock2()
}

// fullDisk is a file format whose writes fail with ENOSPC from the second
// batch on, as when the disk fills during a load.
type fullDisk struct {
	format
	batches int
}

func (f *fullDisk) write(b Batch, record int64) error {
	f.batches++
	if f.batches > 1 {
		return &os.PathError{Op: "write", Path: "orders.csv", Err: syscall.ENOSPC}
	}
	return f.format.write(b, record)
}

func TestFileSinkFullDiskWritesNothing(t *testing.T) {
	r, dir := newTestRegistry(t)
	sink := mustSink(t, r, "csv", map[string]any{"path": "orders.csv"}).(*csvSink)
	mustWrite(t, sink, runInfo(1), testBatch(0, 1))
	before, err := os.ReadFile(filepath.Join(dir, "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Batch, 2)
	ch <- testBatch(0, ids(2, 100)...)
	ch <- testBatch(0, ids(101, 200)...)
	close(ch)
	_, err = sink.write(context.Background(), &fullDisk{format: &csvFormat{comma: ',', path: sink.path, mode: ModeAppend}}, runInfo(2), testSchema, ch)
	if Classify(err) != ClassSinkFull {
		t.Errorf("load onto a full disk = %v (class %s), want sink_full", err, Classify(err))
	}
	after, _ := os.ReadFile(filepath.Join(dir, "orders.csv"))
	if string(after) != string(before) {
		t.Error("a failed load changed the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed load left %d files", len(entries))
	}
}
