package connector

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// openTestSQLite opens a SQLite database directly, for preparing and
// inspecting what the connectors use.
func openTestSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_time_format=sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func execSQL(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func sqliteTarget(t *testing.T) sinkTarget {
	r, dir := newTestRegistry(t)
	path := filepath.Join(dir, "warehouse.db")
	return sinkTarget{
		kind: "sqlite",
		sink: func(t *testing.T, mode WriteMode, key []string) Sink {
			settings := map[string]any{"path": "warehouse.db", "table": "main.orders", "mode": string(mode)}
			if key != nil {
				settings["key"] = key
			}
			return mustSink(t, r, "sqlite", settings)
		},
		readBack: func(t *testing.T) (Schema, [][]any) {
			schema, rows, bad := read(t, mustSource(t, r, "sqlite", map[string]any{"path": path, "table": "orders"}), RunInfo{})
			if len(bad) > 0 {
				t.Fatalf("bad rows reading back: %v", bad)
			}
			return stripRunID(schema, rows)
		},
		prepare: func(t *testing.T) {
			execSQL(t, openTestSQLite(t, path), `CREATE TABLE orders (id INTEGER, amount REAL CHECK (amount >= 0),
				paid BOOLEAN, at TIMESTAMP, note TEXT, _vigil_run_id TEXT)`)
		},
	}
}

func TestSQLiteSink(t *testing.T) {
	testSink(t, sinkFeatures{upsert: true, constraints: true}, sqliteTarget)
}

func TestSQLiteSourceTypes(t *testing.T) {
	r, dir := newTestRegistry(t)
	db := openTestSQLite(t, filepath.Join(dir, "w.db"))
	execSQL(t, db,
		`CREATE TABLE t (i INTEGER, f REAL, b BOOLEAN, d DATETIME, s VARCHAR(10), n NUMERIC, x)`,
		`INSERT INTO t VALUES (1, 1.5, 1, '2024-01-01 10:00:00+00:00', 'a', 2, 'free'), (NULL, NULL, 0, NULL, NULL, NULL, NULL)`)
	src := mustSource(t, r, "sqlite", map[string]any{"path": "w.db",
		"query": "SELECT i, f, b, d, s, n, x, i * 2 AS twice, date(d) AS day, max(1, 2) AS m FROM t ORDER BY rowid"})
	schema, rows, bad := read(t, src, RunInfo{})
	want := Schema{{"i", TypeInt}, {"f", TypeFloat}, {"b", TypeBool}, {"d", TypeTime}, {"s", TypeString},
		{"n", TypeFloat}, {"x", TypeString}, {"twice", TypeInt}, {"day", TypeString}, {"m", TypeInt}}
	if !schema.Equal(want) {
		t.Errorf("schema = %s, want %s", schema, want)
	}
	wantRows := [][]any{
		{int64(1), 1.5, true, ts(t, "2024-01-01T10:00:00Z"), "a", 2.0, "free", int64(2), "2024-01-01", int64(2)},
		{nil, nil, false, nil, nil, nil, nil, nil, nil, int64(2)},
	}
	if !reflect.DeepEqual(rows, wantRows) || len(bad) != 0 {
		t.Errorf("rows = %#v, bad %v", rows, bad)
	}
}

func TestSQLiteSourceBadValues(t *testing.T) {
	r, dir := newTestRegistry(t)
	execSQL(t, openTestSQLite(t, filepath.Join(dir, "w.db")),
		`CREATE TABLE t (id INTEGER, flag BOOLEAN)`, `INSERT INTO t VALUES (1, 1), ('x', 0), (3, 7)`)
	_, rows, bad := read(t, mustSource(t, r, "sqlite", map[string]any{"path": "w.db", "table": "t"}), RunInfo{})
	if len(rows) != 1 || len(bad) != 2 {
		t.Fatalf("rows %v, bad %v", rows, bad)
	}
	if bad[0].Column != "id" || bad[0].Record != 2 || bad[0].Raw != `{"id":"x","flag":0}` || !strings.Contains(bad[1].Error(), "7 is not a bool") {
		t.Errorf("bad rows = %v (raw %q)", bad, bad[0].Raw)
	}
}

func TestSQLiteSourceErrors(t *testing.T) {
	r, dir := newTestRegistry(t)
	execSQL(t, openTestSQLite(t, filepath.Join(dir, "w.db")), `CREATE TABLE t (id INTEGER)`)
	f := func(settings map[string]any, want Class, msg string) {
		t.Helper()
		err := mustSource(t, r, "sqlite", settings).Read(context.Background(), func(Batch) error { return nil })
		if Classify(err) != want || !strings.Contains(err.Error(), msg) {
			t.Errorf("Read(%v) = %v (class %s), want class %s mentioning %q", settings, err, Classify(err), want, msg)
		}
	}
	f(map[string]any{"path": "missing.db", "table": "t"}, ClassConfig, "no such file")
	f(map[string]any{"path": "w.db", "table": "nope"}, ClassSchema, "no such table")
	f(map[string]any{"path": "w.db", "query": "SELEC 1"}, ClassConfig, "syntax error")
	f(map[string]any{"path": "w.db", "query": "DELETE FROM t RETURNING id"}, ClassConfig, "readonly")
	f(map[string]any{"path": "w.db", "query": "SELECT id, id FROM t"}, ClassSchema, `column "id" appears twice`)
}

func TestSQLiteSinkLocked(t *testing.T) {
	r, dir := newTestRegistry(t)
	db := openTestSQLite(t, filepath.Join(dir, "w.db"))
	execSQL(t, db, `CREATE TABLE orders (id INTEGER)`)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck
	sink := mustSink(t, r, "sqlite", map[string]any{"path": "w.db", "table": "orders", "busy_timeout": "100ms"})
	start := time.Now()
	_, err = WriteAll(context.Background(), sink, runInfo(1), testSchema, testBatch(0, 1))
	if Classify(err) != ClassLocked {
		t.Errorf("write under another writer's lock = %v (class %s), want locked", err, Classify(err))
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("gave up after %v, before busy_timeout", waited)
	}
}

func TestSQLiteSinkAddsRunIDColumn(t *testing.T) {
	r, dir := newTestRegistry(t)
	db := openTestSQLite(t, filepath.Join(dir, "w.db"))
	execSQL(t, db, `CREATE TABLE orders (id INTEGER, amount REAL, paid BOOLEAN, at TIMESTAMP, note TEXT, extra TEXT DEFAULT 'x')`,
		`INSERT INTO orders (id) VALUES (100)`)
	sink := mustSink(t, r, "sqlite", map[string]any{"path": "w.db", "table": "orders"})
	mustWrite(t, sink, runInfo(1), testBatch(0, 1))
	mustWrite(t, sink, runInfo(1), testBatch(0, 1))
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM orders WHERE _vigil_run_id = 'test/2024-01-01T00:00:00Z' AND extra = 'x'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows of the run = %d, %v; want 1", n, err)
	}
}

func TestSQLiteUpsertWithoutKeyConstraint(t *testing.T) {
	r, dir := newTestRegistry(t)
	execSQL(t, openTestSQLite(t, filepath.Join(dir, "w.db")), `CREATE TABLE orders (id INTEGER, amount REAL, paid BOOLEAN, at TIMESTAMP, note TEXT)`)
	sink := mustSink(t, r, "sqlite", map[string]any{"path": "w.db", "table": "orders", "mode": "upsert", "key": []any{"id"}})
	_, err := WriteAll(context.Background(), sink, runInfo(1), testSchema, testBatch(0, 1))
	if Classify(err) != ClassSchema {
		t.Errorf("upsert without a unique key = %v (class %s), want schema", err, Classify(err))
	}
	sink = mustSink(t, r, "sqlite", map[string]any{"path": "w.db", "table": "orders", "mode": "upsert", "key": []any{"nope"}})
	_, err = WriteAll(context.Background(), sink, runInfo(1), testSchema, testBatch(0, 1))
	if Classify(err) != ClassSchema || !strings.Contains(err.Error(), `key column "nope"`) {
		t.Errorf("upsert on an unknown key = %v", err)
	}
}

func TestSQLiteSinkFullDisk(t *testing.T) {
	// SQLite reports a full disk as SQLITE_FULL; a page limit produces the
	// same error without filling a disk.
	db := openTestSQLite(t, filepath.Join(t.TempDir(), "small.db"))
	execSQL(t, db, `CREATE TABLE t (s TEXT)`)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "PRAGMA max_page_count = 3"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(context.Background(), "INSERT INTO t VALUES (?)", strings.Repeat("x", 1<<16))
	if err == nil {
		t.Fatal("insert beyond max_page_count succeeded")
	}
	if got := Classify(classifySQLite(err)); got != ClassSinkFull {
		t.Errorf("Classify(%v) = %s, want sink_full", err, got)
	}
}

func TestSQLiteExecer(t *testing.T) {
	r, dir := newTestRegistry(t)
	ex, err := r.NewExecer("sqlite", map[string]any{"path": "w.db"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := ex.Exec(context.Background(), "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2); UPDATE t SET x = x + 1")
	if err != nil || n != 2 {
		t.Errorf("Exec = %d, %v; want 2 rows affected", n, err)
	}
	// A failing statement rolls back the statements before it.
	_, err = ex.Exec(context.Background(), "INSERT INTO t VALUES (10); INSERT INTO nope VALUES (1)")
	if Classify(err) != ClassSchema {
		t.Errorf("Exec into a missing table = %v (class %s), want schema", err, Classify(err))
	}
	var sum int
	if err := openTestSQLite(t, filepath.Join(dir, "w.db")).QueryRow("SELECT sum(x) FROM t").Scan(&sum); err != nil || sum != 5 {
		t.Errorf("sum = %d, %v; want 5", sum, err)
	}
}
