package connector

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// fuzzRead reads data twice, once collecting bad rows and once failing at
// the first, and checks what a reader may rely on: the schema is valid, the
// values fit it, only a bad header fails a read with a handler, and a strict
// read fails with a RowError exactly when the lenient one found bad rows.
func fuzzRead(t *testing.T, read func(ReadOptions, func(Batch) error) error) {
	var rows, bad int
	var schema Schema
	check := func(b Batch) error {
		if schema == nil {
			schema = b.Schema
			if err := schema.Validate(); err != nil {
				t.Fatalf("emitted an invalid schema: %v", err)
			}
		} else if !schema.Equal(b.Schema) {
			t.Fatalf("schema changed from %s to %s", schema, b.Schema)
		}
		for _, row := range b.Rows {
			if len(row) != len(schema) {
				t.Fatalf("row %v has %d values for %d columns", row, len(row), len(schema))
			}
			for i, v := range row {
				if !CheckValue(v, schema[i].Type) {
					t.Fatalf("value %#v does not fit column %s", v, schema[i])
				}
			}
		}
		rows += b.Len()
		return nil
	}
	err := read(ReadOptions{OnRowError: func(e *RowError) error {
		if e.Error() == "" || e.Record <= 0 {
			t.Fatalf("row error without a message or record: %#v", e)
		}
		bad++
		return nil
	}}, check)
	if err != nil {
		// Only a file whose header cannot be read fails with a handler.
		if c := Classify(err); c != ClassSchema && c != ClassData || errors.As(err, new(*RowError)) {
			t.Fatalf("read with a row error handler failed: %v (class %s)", err, c)
		}
		if err := read(ReadOptions{}, func(Batch) error { return nil }); err == nil {
			t.Fatal("strict read succeeded where the lenient one failed")
		}
		return
	}
	schema, rows = nil, 0
	err = read(ReadOptions{}, check)
	var re *RowError
	if err != nil && !errors.As(err, &re) {
		t.Fatalf("read failed with %v, want a RowError", err)
	}
	if (err != nil) != (bad > 0) {
		t.Fatalf("strict read returned %v, but the lenient read found %d bad rows", err, bad)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("id,amount,at\n1,2.5,2024-01-01\n2,x,\n"), false)
	f.Add([]byte("a;b\n\"q\"\"uote\";1\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, declared bool) {
		settings := map[string]any{"path": "fuzz.csv", "infer_rows": 3, "batch_size": 2}
		if declared {
			settings["columns"] = []any{map[string]any{"name": "id", "type": "int"}, map[string]any{"name": "at", "type": "time"}}
			settings["header"] = false
		}
		src, err := NewRegistry(Options{}).NewSource("csv", settings)
		if err != nil {
			t.Fatal(err)
		}
		fuzzRead(t, func(opts ReadOptions, emit func(Batch) error) error {
			return src.(*csvSource).readFrom(context.Background(), bytes.NewReader(data), opts, emit)
		})
	})
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"id": 1, "v": [1, {"a": null}]}`+"\n"+`{"id": "x"}`), false)
	f.Add([]byte(`{"id": 1e400, "at": "2024-01-01T00:00:00Z"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, declared bool) {
		settings := map[string]any{"path": "fuzz.jsonl", "infer_rows": 3, "batch_size": 2}
		if declared {
			settings["columns"] = []any{map[string]any{"name": "id", "type": "int"}, map[string]any{"name": "at", "type": "time"}}
		}
		src, err := NewRegistry(Options{}).NewSource("jsonl", settings)
		if err != nil {
			t.Fatal(err)
		}
		fuzzRead(t, func(opts ReadOptions, emit func(Batch) error) error {
			return src.(*jsonlSource).readFrom(context.Background(), bytes.NewReader(data), opts, emit)
		})
	})
}
