package connector

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestJSONLSourceInfersTypes(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "e.jsonl", `{"id": 1, "v": 1.5, "ok": true, "at": "2024-01-01T00:00:00Z", "tags": ["a", "b"]}`+"\n"+
		"\n"+
		`{"id": 2, "v": 2, "extra": null, "meta": {"k": 1}}`+"\r\n")
	schema, rows, bad := read(t, mustSource(t, r, "jsonl", map[string]any{"path": "e.jsonl"}), RunInfo{})
	want := Schema{{"id", TypeInt}, {"v", TypeFloat}, {"ok", TypeBool}, {"at", TypeTime}, {"tags", TypeString}, {"extra", TypeString}, {"meta", TypeString}}
	if !schema.Equal(want) {
		t.Errorf("schema = %s, want %s", schema, want)
	}
	wantRows := [][]any{
		{int64(1), 1.5, true, ts(t, "2024-01-01T00:00:00Z"), `["a","b"]`, nil, nil},
		{int64(2), 2.0, nil, nil, nil, nil, `{"k":1}`},
	}
	if !reflect.DeepEqual(rows, wantRows) || len(bad) != 0 {
		t.Errorf("rows = %v, bad %v; want %v", rows, bad, wantRows)
	}
}

func TestJSONLSourceBadRows(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "e.jsonl", `{"id": 1}`+"\n"+`{"id": "x"}`+"\n"+`[1]`+"\n"+`{"id": 3`+"\n"+`{"id": 4, "new": 1}`+"\n"+`{"id": 5}`+"\n")
	src := mustSource(t, r, "jsonl", map[string]any{"path": "e.jsonl", "infer_rows": 1})
	_, rows, bad := read(t, src, RunInfo{})
	if !reflect.DeepEqual(rows, [][]any{{int64(1)}, {int64(5)}}) {
		t.Errorf("rows = %v", rows)
	}
	path := filepath.Join(dir, "e.jsonl")
	wantErrs := []string{
		path + ` line 2, column "id": "x" is not an int`,
		path + ` line 3: want a JSON object, got an array`,
		path + ` line 4: invalid JSON: unexpected end of input`,
		path + ` line 5, column "new": field is not in the schema inferred from the first 1 records; declare columns to read it`,
	}
	if len(bad) != len(wantErrs) {
		t.Fatalf("bad = %v", bad)
	}
	for i, e := range bad {
		if e.Error() != wantErrs[i] {
			t.Errorf("bad[%d] = %q, want %q", i, e.Error(), wantErrs[i])
		}
	}
	if bad[2].Raw != `{"id": 3` || bad[0].Raw != `{"id":"x"}` {
		t.Errorf("raw records: %q, %q", bad[2].Raw, bad[0].Raw)
	}
}

func TestJSONLSourceDeclaredColumns(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "e.jsonl", `{"id": "7", "amount": 3, "ignored": 1}`+"\n")
	src := mustSource(t, r, "jsonl", map[string]any{"path": "e.jsonl", "columns": []any{
		map[string]any{"name": "id", "type": "int"}, map[string]any{"name": "amount", "type": "float"}, map[string]any{"name": "missing", "type": "time"},
	}})
	_, rows, bad := read(t, src, RunInfo{})
	if !reflect.DeepEqual(rows, [][]any{{int64(7), 3.0, nil}}) || len(bad) != 0 {
		t.Errorf("rows = %v, bad %v", rows, bad)
	}
}

func TestJSONLSourceLongLines(t *testing.T) {
	r, dir := newTestRegistry(t)
	long := strings.Repeat("x", 200<<10)
	writeFile(t, dir, "e.jsonl", `{"s": "`+long+`"}`+"\n"+`{"s": "short"}`)
	_, rows, _ := read(t, mustSource(t, r, "jsonl", map[string]any{"path": "e.jsonl"}), RunInfo{})
	if len(rows) != 2 || rows[0][0] != long || rows[1][0] != "short" {
		t.Errorf("long line not read whole: %d rows", len(rows))
	}
}

func TestJSONLSourceNoFields(t *testing.T) {
	r, dir := newTestRegistry(t)
	writeFile(t, dir, "e.jsonl", "{}\nnot json\n")
	var batches int
	var bad []*RowError
	err := mustSource(t, r, "jsonl", map[string]any{"path": "e.jsonl"}).(RunReader).ReadRun(context.Background(),
		ReadOptions{OnRowError: func(e *RowError) error { bad = append(bad, e); return nil }},
		func(Batch) error { batches++; return nil })
	if err != nil || batches != 0 || len(bad) != 1 {
		t.Errorf("ReadRun = %v, %d batches, bad %v; want no schema, no batch, one bad row", err, batches, bad)
	}
}
