package transform

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

func deadLetterSink(t *testing.T) (connector.Sink, string) {
	t.Helper()
	dir := t.TempDir()
	sink, err := connector.NewRegistry(connector.Options{BaseDir: dir}).NewSink("jsonl", map[string]any{"path": "dead.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	return sink, filepath.Join(dir, "dead.jsonl")
}

var testRun = connector.RunInfo{RunID: "orders/2024-01-01T00:00:00Z", Pipeline: "orders", Task: "stage", Attempt: 1}

func TestDeadLetterThroughChain(t *testing.T) {
	sink, path := deadLetterSink(t)
	ctx := context.Background()
	dl := StartDeadLetter(ctx, sink, testRun)
	c := mustCompile(t, []Step{{Map: []Assignment{{"half", "row.amount / 2.0"}}}}, Options{Policy: PolicyDeadLetter, DeadLetter: dl.Put})
	var rows [][]any
	for i := range 600 {
		var amount any = float64(i)
		if i%2 == 1 {
			amount = nil
		}
		b := connector.Batch{Schema: ordersSchema, Rows: [][]any{order(int64(i), amount, "c")}}
		if err := c.Process(ctx, b, func(b connector.Batch) error { rows = append(rows, b.Rows...); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := dl.Close(ctx)
	if err != nil || stats.RowsWritten != 300 {
		t.Fatalf("Close = %+v, %v; want 300 rows", stats, err)
	}
	if len(rows) != 300 || c.Stats().DeadLettered != 300 {
		t.Errorf("%d rows out, stats %+v", len(rows), c.Stats())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := `{"step":"transform[0] (map half)","row":2,"error":"no such overload: _/_ (with amount = null)",` +
		`"record":"{\"id\":1,\"amount\":null,\"customer_id\":\"c\",\"created_at\":\"2024-01-01T01:00:00Z\"}",` +
		`"_vigil_run_id":"orders/2024-01-01T00:00:00Z"}`
	if len(lines) != 300 || lines[0] != want {
		t.Errorf("%d lines, first %s\nwant %s", len(lines), lines[0], want)
	}
	if _, err := dl.Close(ctx); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := dl.Put(ctx, &Failure{Err: errors.New("late")}); err == nil {
		t.Error("Put after Close succeeded")
	}
}

func TestDeadLetterAbortWritesNothing(t *testing.T) {
	sink, path := deadLetterSink(t)
	dl := StartDeadLetter(context.Background(), sink, testRun)
	for i := range 300 {
		if err := dl.Put(context.Background(), &Failure{Step: "source", Row: int64(i), Err: errors.New("bad")}); err != nil {
			t.Fatal(err)
		}
	}
	dl.Abort()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("aborted dead letters left %s: %v", path, err)
	}
}

// failingSink fails every load, as a full disk would.
type failingSink struct{}

func (failingSink) Write(ctx context.Context, _ connector.RunInfo, _ connector.Schema, batches <-chan connector.Batch) (connector.WriteStats, error) {
	select {
	case <-batches:
	case <-ctx.Done():
	}
	return connector.WriteStats{}, connector.Errorf(connector.ClassSinkFull, "disk full")
}

func TestDeadLetterSinkFailure(t *testing.T) {
	dl := StartDeadLetter(context.Background(), failingSink{}, testRun)
	var err error
	for i := 0; i < 3*deadLetterBatch && err == nil; i++ {
		err = dl.Put(context.Background(), &Failure{Row: int64(i), Err: errors.New("bad")})
	}
	if connector.Classify(err) != connector.ClassSinkFull {
		t.Errorf("Put into a failing sink = %v", err)
	}
	if _, err := dl.Close(context.Background()); connector.Classify(err) != connector.ClassSinkFull {
		t.Errorf("Close = %v", err)
	}
}

func TestRecordJSON(t *testing.T) {
	schema := connector.Schema{{Name: "a", Type: connector.TypeFloat}, {Name: "b", Type: connector.TypeString}, {Name: "c", Type: connector.TypeTime}, {Name: "d", Type: connector.TypeBool}}
	got := recordJSON(schema, []any{math.Inf(1), "q\"\n", time.Date(2024, 1, 1, 0, 0, 0, 5, time.UTC), true})
	if want := `{"a":"+Inf","b":"q\"\n","c":"2024-01-01T00:00:00.000000005Z","d":true}`; got != want {
		t.Errorf("recordJSON = %s, want %s", got, want)
	}
}
