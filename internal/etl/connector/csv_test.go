package connector

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCSVSourceInfersTypes(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "orders.csv", "\uFEFFid,amount,paid,created_at,note\n"+
		"1,9.5,true,2024-01-01T10:00:00Z,\"a, quoted\nnote\"\n"+
		"2,10,false,2024-01-02,\n")
	schema, rows, bad := read(t, mustSource(t, r, "csv", map[string]any{"path": "orders.csv"}), RunInfo{})
	want := Schema{{"id", TypeInt}, {"amount", TypeFloat}, {"paid", TypeBool}, {"created_at", TypeTime}, {"note", TypeString}}
	if !schema.Equal(want) {
		t.Errorf("schema = %s, want %s", schema, want)
	}
	wantRows := [][]any{
		{int64(1), 9.5, true, ts(t, "2024-01-01T10:00:00Z"), "a, quoted\nnote"},
		{int64(2), 10.0, false, ts(t, "2024-01-02T00:00:00Z"), nil},
	}
	if !reflect.DeepEqual(rows, wantRows) || len(bad) != 0 {
		t.Errorf("rows = %v, bad = %v; want %v", rows, bad, wantRows)
	}
}

func TestCSVSourceBadRows(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "in.csv", "id,amount\n1,2.5\n2,abc\n3\n4,\"x\"y\n5,1.0\n")
	src := mustSource(t, r, "csv", map[string]any{"path": "in.csv", "columns": []any{
		map[string]any{"name": "id", "type": "int"}, map[string]any{"name": "amount", "type": "float"},
	}})
	_, rows, bad := read(t, src, RunInfo{})
	if len(rows) != 2 || rows[1][0] != int64(5) {
		t.Errorf("rows = %v, want ids 1 and 5", rows)
	}
	path := filepath.Join(dir, "in.csv")
	wantErrs := []string{
		path + ` line 3, column "amount": "abc" is not a float`,
		path + ` line 4: record has 1 fields, want 2`,
		path + ` line 5: extraneous or missing " in quoted-field (at byte 5)`,
	}
	if len(bad) != len(wantErrs) {
		t.Fatalf("bad rows = %v, want %d", bad, len(wantErrs))
	}
	for i, e := range bad {
		if e.Error() != wantErrs[i] {
			t.Errorf("bad[%d] = %q, want %q", i, e.Error(), wantErrs[i])
		}
	}
	if bad[0].Raw != "2,abc" || bad[0].Record != 2 {
		t.Errorf("bad[0] raw %q record %d, want 2,abc and 2", bad[0].Raw, bad[0].Record)
	}

	// Without a handler, the first bad row fails the read with class data.
	err := src.Read(context.Background(), func(Batch) error { return nil })
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 || Classify(err) != ClassData {
		t.Errorf("Read = %v, want the row error of line 3", err)
	}
}

func TestCSVSourceInferenceLimit(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "in.csv", "n\n1\n2\nthree\n")
	_, rows, bad := read(t, mustSource(t, r, "csv", map[string]any{"path": "in.csv", "infer_rows": 2}), RunInfo{})
	if len(rows) != 2 || len(bad) != 1 || !strings.Contains(bad[0].Error(), `"three" is not an int`) {
		t.Errorf("rows %v, bad %v; want two rows and three rejected", rows, bad)
	}
}

func TestCSVSourceHeaderless(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "in.tsv", "1\tx\n2\ty\n")
	src := mustSource(t, r, "csv", map[string]any{"path": "in.tsv", "header": false, "delimiter": "\t",
		"columns": map[string]any{"a": "int", "b": "string"}})
	_, rows, _ := read(t, src, RunInfo{})
	if want := [][]any{{int64(1), "x"}, {int64(2), "y"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

func TestCSVSourcePicksDeclaredColumns(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "in.csv", "a,b,c\n1,2,3\n")
	schema, rows, _ := read(t, mustSource(t, r, "csv", map[string]any{"path": "in.csv",
		"columns": []any{map[string]any{"name": "c", "type": "int"}, map[string]any{"name": "a", "type": "string"}}}), RunInfo{})
	if !reflect.DeepEqual(rows, [][]any{{int64(3), "1"}}) || schema.Names()[0] != "c" {
		t.Errorf("rows = %v", rows)
	}
	src := mustSource(t, r, "csv", map[string]any{"path": "in.csv", "columns": map[string]any{"d": "int"}})
	err := src.Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassSchema || !strings.Contains(err.Error(), `declared column "d" is not in the header (a, b, c)`) {
		t.Errorf("Read with a missing column = %v", err)
	}
}

func TestCSVSourceEmpty(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "header.csv", "a,b\n")
	schema, rows, _ := read(t, mustSource(t, r, "csv", map[string]any{"path": "header.csv"}), RunInfo{})
	if len(rows) != 0 || !schema.Equal(Schema{{"a", TypeString}, {"b", TypeString}}) {
		t.Errorf("header only: schema %s rows %v", schema, rows)
	}
	writeFile(t, dir, "empty.csv", "")
	schema, _, _ = read(t, mustSource(t, r, "csv", map[string]any{"path": "empty.csv", "columns": map[string]any{"a": "int"}}), RunInfo{})
	if !schema.Equal(Schema{{"a", TypeInt}}) {
		t.Errorf("empty with declared columns: schema %s", schema)
	}
	writeFile(t, dir, "dup.csv", "a,a\n1,2\n")
	err := mustSource(t, r, "csv", map[string]any{"path": "dup.csv"}).Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassSchema {
		t.Errorf("duplicate header: %v", err)
	}
	err = mustSource(t, r, "csv", map[string]any{"path": "missing.csv"}).Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassConfig {
		t.Errorf("missing file: %v (class %s), want config", err, Classify(err))
	}
}

func TestCSVSourceBatchesAndStops(t *testing.T) {
	r, dir := newTestRegistry(t)
	var sb strings.Builder
	sb.WriteString("n\n")
	for i := range 2500 {
		sb.WriteString(FormatValue(int64(i)) + "\n")
	}
	writeFile(t, dir, "n.csv", sb.String())
	src := mustSource(t, r, "csv", map[string]any{"path": "n.csv", "batch_size": 1000})
	var sizes []int
	err := src.Read(context.Background(), func(b Batch) error {
		sizes = append(sizes, b.Len())
		return nil
	})
	if err != nil || !reflect.DeepEqual(sizes, []int{1000, 1000, 500}) {
		t.Errorf("batch sizes = %v, %v", sizes, err)
	}
	stop := errors.New("stop")
	err = src.Read(context.Background(), func(Batch) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("Read after emit failed = %v, want stop", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Read(ctx, func(Batch) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v", err)
	}
}
