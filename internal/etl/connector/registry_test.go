package connector

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegistryKinds(t *testing.T) {
	r := NewRegistry(Options{})
	if got, want := strings.Join(r.Kinds(), ","), "csv,generate,http,jsonl,postgres,sqlite"; got != want {
		t.Errorf("Kinds() = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		kind               string
		source, sink, exec bool
	}{
		{"csv", true, true, false},
		{"jsonl", true, true, false},
		{"sqlite", true, true, true},
		{"postgres", true, true, true},
		{"http", true, false, false},
		{"generate", true, false, false},
		{"parquet", false, false, false},
	} {
		if r.Known(tc.kind) != (tc.source || tc.sink) {
			t.Errorf("Known(%s) = %v", tc.kind, r.Known(tc.kind))
		}
		if r.Supports(tc.kind, RoleSource) != tc.source || r.Supports(tc.kind, RoleSink) != tc.sink || r.Supports(tc.kind, RoleExec) != tc.exec {
			t.Errorf("Supports(%s) wrong", tc.kind)
		}
	}
}

func TestRegistryErrors(t *testing.T) {
	r := NewRegistry(Options{})
	f := func(err error, want string) {
		t.Helper()
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
		if Classify(err) != ClassConfig {
			t.Errorf("Classify(%v) = %s, want config", err, Classify(err))
		}
	}
	_, err := r.NewSource("sqllite", nil)
	f(err, `unknown connector "sqllite" (known: csv, generate, http, jsonl, postgres, sqlite)`)
	_, err = r.NewSink("http", map[string]any{"url": "http://x"})
	f(err, `connector "http" cannot be a sink`)
	_, err = r.NewExecer("csv", nil)
	f(err, `connector "csv" cannot run sql statements`)
	_, err = r.NewSink("sqlite", map[string]any{"path": "w.db", "tabel": "x"})
	f(err, `sqlite sink: unknown key "tabel" (known keys: busy_timeout, key, mode, path, table)`)
	_, err = r.NewSource("sqlite", map[string]any{"path": "w.db", "table": "x", "mode": "append"})
	f(err, `sqlite source: unknown key "mode" (known keys: batch_size, busy_timeout, path, query, table)`)
	_, err = r.NewSink("sqlite", map[string]any{"path": "w.db", "table": "x", "mode": "upsert"})
	f(err, `sqlite sink: key "key": is required with mode upsert`)
	_, err = r.NewSink("csv", map[string]any{"path": "x.csv", "mode": "upsert"})
	f(err, `csv sink: key "mode": unknown mode "upsert" (want append, replace)`)
	_, err = r.NewSource("csv", map[string]any{"path": "x.csv", "header": false})
	f(err, `csv source: key "columns": are required when header is false`)
	_, err = r.NewSource("postgres", map[string]any{"url": "postgres://u:hunter2@host:notaport/db", "table": "t"})
	f(err, `postgres source: key "url": invalid postgres URL (details withheld, as it may hold a password)`)
}

func TestRegistryRegister(t *testing.T) {
	r := NewRegistry(Options{})
	f := Factory{Source: func(*Env, map[string]any) (Source, error) { return nil, nil }}
	if err := r.Register("csv", f); err == nil {
		t.Error("registering csv twice succeeded")
	}
	if err := r.Register("Faulty", f); err == nil {
		t.Error("registering an uppercase kind succeeded")
	}
	if err := r.Register("faulty", Factory{}); err == nil {
		t.Error("registering a factory without roles succeeded")
	}
	if err := r.Register("faulty", f); err != nil || !r.Supports("faulty", RoleSource) || r.Supports("faulty", RoleSink) {
		t.Errorf("Register(faulty) = %v", err)
	}
}

func TestRelativePaths(t *testing.T) {
	r, dir := newTestRegistry(t)
	sink := mustSink(t, r, "csv", map[string]any{"path": "out/x.csv", "mode": "replace"})
	schema := Schema{{"a", TypeInt}}
	if _, err := WriteAll(context.Background(), sink, RunInfo{}, schema, Batch{Schema: schema, Rows: [][]any{{int64(1)}}}); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "out", "x.csv")
	_, rows, _ := read(t, mustSource(t, NewRegistry(Options{}), "csv", map[string]any{"path": abs}), RunInfo{})
	if len(rows) != 1 {
		t.Errorf("read %d rows from %s, want 1", len(rows), abs)
	}
}
