package connector

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sinkTarget is one sink kind under the shared sink tests: how to build its
// sink for a mode, and how to read back what it wrote, without RunIDColumn,
// ordered by id.
type sinkTarget struct {
	kind     string
	sink     func(t *testing.T, mode WriteMode, key []string) Sink
	readBack func(t *testing.T) (Schema, [][]any)
	// prepare creates the target with a constraint that rejects negative
	// amounts, for the test of a load the target rejects halfway.
	prepare func(t *testing.T)
}

// sinkFeatures are what some sinks can do and others cannot; the tests of a
// feature run only for the sinks that have it.
type sinkFeatures struct {
	upsert      bool // ModeUpsert.
	constraints bool // Tables with constraints; sinkTarget.prepare is set.
}

// testSchema has a column of each type.
var testSchema = Schema{{"id", TypeInt}, {"amount", TypeFloat}, {"paid", TypeBool}, {"at", TypeTime}, {"note", TypeString}}

// testRow returns a row of testSchema for id, with a variant v in its values.
func testRow(id int64, v int) []any {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id)*time.Hour + 123456*time.Microsecond)
	var note any = fmt.Sprintf("row %d v%d, with \"quotes\"\nand a newline", id, v)
	if id%3 == 0 {
		note = nil
	}
	return []any{id, float64(id)*1.5 + float64(v), id%2 == 0, at, note}
}

func testBatch(v int, ids ...int64) Batch {
	b := Batch{Schema: testSchema}
	for _, id := range ids {
		b.Rows = append(b.Rows, testRow(id, v))
	}
	return b
}

func ids(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// runInfo returns the RunInfo of run n of a test pipeline.
func runInfo(n int) RunInfo {
	at := time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC)
	return RunInfo{RunID: "test/" + at.Format(time.RFC3339), Pipeline: "test", Task: "load", Attempt: 1, LogicalTime: at}
}

// stripRunID removes RunIDColumn from a read-back schema and rows, and
// orders the rows by id.
func stripRunID(schema Schema, rows [][]any) (Schema, [][]any) {
	i := schema.Index(RunIDColumn)
	if i >= 0 {
		schema = slices.Delete(slices.Clone(schema), i, i+1)
		for r := range rows {
			rows[r] = slices.Delete(rows[r], i, i+1)
		}
	}
	slices.SortFunc(rows, func(a, b []any) int { return int(a[0].(int64) - b[0].(int64)) })
	return schema, rows
}

func wantRows(t *testing.T, target sinkTarget, want ...Batch) {
	t.Helper()
	_, got := target.readBack(t)
	var all [][]any
	for _, b := range want {
		all = append(all, b.Rows...)
	}
	slices.SortFunc(all, func(a, b []any) int { return int(a[0].(int64) - b[0].(int64)) })
	if len(got) != len(all) {
		t.Fatalf("read back %d rows, want %d", len(got), len(all))
	}
	for i := range all {
		if !reflect.DeepEqual(got[i], all[i]) {
			t.Fatalf("row %d = %#v, want %#v", i, got[i], all[i])
		}
	}
}

func mustWrite(t *testing.T, sink Sink, run RunInfo, batches ...Batch) WriteStats {
	t.Helper()
	stats, err := WriteAll(context.Background(), sink, run, testSchema, batches...)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return stats
}

// writeThenCancel sends the first n batches, then cancels the load as a
// failing producer does.
func writeThenCancel(sink Sink, run RunInfo, n int, batches ...Batch) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan Batch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, b := range batches {
			if i == n {
				cancel()
				return
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	_, err := sink.Write(ctx, run, testSchema, ch)
	cancel()
	<-done
	return err
}

// testSink runs the tests every sink must pass, and those of its features.
func testSink(t *testing.T, features sinkFeatures, newTarget func(t *testing.T) sinkTarget) {
	t.Run("append is idempotent per run", func(t *testing.T) {
		target := newTarget(t)
		sink := target.sink(t, ModeAppend, nil)
		stats := mustWrite(t, sink, runInfo(1), testBatch(0, ids(1, 3)...), testBatch(0, ids(4, 5)...))
		if stats.RowsWritten != 5 || stats.RowsDeleted != 0 || !stats.Created || stats.Bytes <= 0 {
			t.Errorf("first load stats = %+v", stats)
		}
		mustWrite(t, sink, runInfo(2), testBatch(0, ids(6, 7)...))
		// A retry of run 1 replaces its rows, with what the retry read.
		stats = mustWrite(t, sink, runInfo(1), testBatch(1, ids(1, 4)...))
		if stats.RowsWritten != 4 || stats.RowsDeleted != 5 || stats.Created {
			t.Errorf("retry stats = %+v, want 4 written and 5 deleted", stats)
		}
		wantRows(t, target, testBatch(1, ids(1, 4)...), testBatch(0, ids(6, 7)...))
	})
	t.Run("replace is idempotent", func(t *testing.T) {
		target := newTarget(t)
		sink := target.sink(t, ModeReplace, nil)
		mustWrite(t, sink, runInfo(1), testBatch(0, ids(1, 5)...))
		stats := mustWrite(t, sink, runInfo(2), testBatch(1, ids(3, 4)...))
		mustWrite(t, sink, runInfo(2), testBatch(1, ids(3, 4)...))
		if stats.RowsDeleted != 5 || stats.RowsWritten != 2 {
			t.Errorf("stats = %+v, want 5 deleted and 2 written", stats)
		}
		wantRows(t, target, testBatch(1, ids(3, 4)...))
	})
	if features.upsert {
		t.Run("upsert updates by key", func(t *testing.T) {
			target := newTarget(t)
			sink := target.sink(t, ModeUpsert, []string{"id"})
			mustWrite(t, sink, runInfo(1), testBatch(0, ids(1, 3)...))
			// Key 4 twice in one load: the last one wins.
			mustWrite(t, sink, runInfo(2), testBatch(1, 2, 4), testBatch(2, 4))
			mustWrite(t, sink, runInfo(2), testBatch(1, 2, 4), testBatch(2, 4))
			wantRows(t, target, testBatch(0, 1, 3), testBatch(1, 2), testBatch(2, 4))
		})
	}
	t.Run("a cancelled load writes nothing", func(t *testing.T) {
		target := newTarget(t)
		sink := target.sink(t, ModeAppend, nil)
		mustWrite(t, sink, runInfo(1), testBatch(0, ids(1, 2)...))
		err := writeThenCancel(sink, runInfo(2), 2, testBatch(0, ids(3, 600)...), testBatch(0, ids(601, 700)...), testBatch(0, 701))
		if err == nil {
			t.Fatal("cancelled load succeeded")
		}
		wantRows(t, target, testBatch(0, ids(1, 2)...))
	})
	t.Run("a bad value halfway writes nothing", func(t *testing.T) {
		target := newTarget(t)
		sink := target.sink(t, ModeAppend, nil)
		mustWrite(t, sink, runInfo(1), testBatch(0, 1))
		bad := testBatch(0, 3)
		bad.Rows[0][1] = "not a float"
		_, err := WriteAll(context.Background(), sink, runInfo(2), testSchema, testBatch(0, ids(2, 500)...), bad)
		var re *RowError
		if !errors.As(err, &re) || re.Column != "amount" || re.Record != 500 || Classify(err) != ClassData {
			t.Errorf("load with a bad value = %v, want a data error for record 500, column amount", err)
		}
		wantRows(t, target, testBatch(0, 1))
	})
	if features.constraints {
		t.Run("a rejected load writes nothing", func(t *testing.T) {
			target := newTarget(t)
			target.prepare(t)
			sink := target.sink(t, ModeAppend, nil)
			mustWrite(t, sink, runInfo(1), testBatch(0, 1))
			negative := testBatch(0, 1000)
			negative.Rows[0][1] = -1.0
			_, err := WriteAll(context.Background(), sink, runInfo(2), testSchema, testBatch(0, ids(2, 900)...), negative)
			if Classify(err) != ClassData {
				t.Errorf("load violating a constraint = %v (class %s), want class data", err, Classify(err))
			}
			wantRows(t, target, testBatch(0, 1))
		})
	}
	t.Run("other columns are a schema error", func(t *testing.T) {
		target := newTarget(t)
		sink := target.sink(t, ModeAppend, nil)
		mustWrite(t, sink, runInfo(1), testBatch(0, 1))
		other := Schema{{"id", TypeInt}, {"name", TypeString}}
		_, err := WriteAll(context.Background(), sink, runInfo(2), other, Batch{Schema: other, Rows: [][]any{{int64(2), "x"}}})
		if Classify(err) != ClassSchema {
			t.Errorf("load with other columns = %v (class %s), want schema", err, Classify(err))
		}
		_, err = WriteAll(context.Background(), sink, runInfo(2), testSchema, Batch{Schema: other, Rows: [][]any{{int64(2), "x"}}})
		if Classify(err) != ClassSchema || !strings.Contains(err.Error(), "batch columns") {
			t.Errorf("batch with other columns = %v, want schema", err)
		}
		wantRows(t, target, testBatch(0, 1))
	})
	t.Run("append needs a run ID", func(t *testing.T) {
		target := newTarget(t)
		_, err := WriteAll(context.Background(), target.sink(t, ModeAppend, nil), RunInfo{}, testSchema, testBatch(0, 1))
		if Classify(err) != ClassConfig {
			t.Errorf("append without a run ID = %v", err)
		}
	})
	t.Run("the run ID column of an upstream load is replaced", func(t *testing.T) {
		target := newTarget(t)
		schema := append(slices.Clone(testSchema), Column{RunIDColumn, TypeString})
		row := append(testRow(1, 0), "upstream/run")
		if _, err := WriteAll(context.Background(), target.sink(t, ModeAppend, nil), runInfo(1), schema, Batch{Schema: schema, Rows: [][]any{row}}); err != nil {
			t.Fatal(err)
		}
		wantRows(t, target, testBatch(0, 1))
	})
}
