package connector

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-aiops/vigil/internal/testenv"
)

// pgExec runs statements on the database at url.
func pgExec(t *testing.T, url string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func postgresTarget(t *testing.T) sinkTarget {
	target, _ := postgresTargetURL(t)
	return target
}

// postgresTargetURL returns a target in a fresh database, and the
// database's URL.
func postgresTargetURL(t *testing.T) (sinkTarget, string) {
	url := testenv.PostgresURL(t)
	r := NewRegistry(Options{Getenv: func(k string) string {
		if k == "WAREHOUSE_URL" {
			return url
		}
		return ""
	}})
	pgExec(t, url, "CREATE SCHEMA mart")
	return sinkTarget{
		kind: "postgres",
		sink: func(t *testing.T, mode WriteMode, key []string) Sink {
			settings := map[string]any{"url_env": "WAREHOUSE_URL", "table": "mart.orders", "mode": string(mode)}
			if key != nil {
				settings["key"] = key
			}
			return mustSink(t, r, "postgres", settings)
		},
		readBack: func(t *testing.T) (Schema, [][]any) {
			schema, rows, bad := read(t, mustSource(t, r, "postgres", map[string]any{"url": url, "table": "mart.orders"}), RunInfo{})
			if len(bad) > 0 {
				t.Fatalf("bad rows reading back: %v", bad)
			}
			return stripRunID(schema, rows)
		},
		prepare: func(t *testing.T) {
			pgExec(t, url, `CREATE TABLE mart.orders (id bigint, amount double precision CHECK (amount >= 0),
				paid boolean, at timestamptz, note text, _vigil_run_id text)`)
		},
	}, url
}

func TestPostgresSink(t *testing.T) {
	testSink(t, sinkFeatures{upsert: true, constraints: true}, postgresTarget)
}

func TestPostgresSourceTypes(t *testing.T) {
	url := testenv.PostgresURL(t)
	pgExec(t, url, `CREATE TABLE t (i int, s smallint, f real, n numeric(10,2), b boolean, d date,
		ts timestamp, tz timestamptz, v varchar(5), u uuid, j jsonb, iv interval, a int[])`,
		`INSERT INTO t VALUES (1, 2, 1.5, 3.25, true, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05+02',
			'abc', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '1 day 2 hours', '{1,2}'),
			(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	r := NewRegistry(Options{})
	schema, rows, bad := read(t, mustSource(t, r, "postgres", map[string]any{"url": url, "query": "SELECT * FROM t ORDER BY i NULLS LAST"}), RunInfo{})
	want := Schema{{"i", TypeInt}, {"s", TypeInt}, {"f", TypeFloat}, {"n", TypeFloat}, {"b", TypeBool}, {"d", TypeTime},
		{"ts", TypeTime}, {"tz", TypeTime}, {"v", TypeString}, {"u", TypeString}, {"j", TypeString}, {"iv", TypeString}, {"a", TypeString}}
	if !schema.Equal(want) {
		t.Errorf("schema = %s, want %s", schema, want)
	}
	if len(rows) != 2 || len(bad) != 0 {
		t.Fatalf("rows %v, bad %v", rows, bad)
	}
	wantRow := []any{int64(1), int64(2), 1.5, 3.25, true, ts(t, "2024-01-02T00:00:00Z"), ts(t, "2024-01-02T03:04:05Z"),
		ts(t, "2024-01-02T01:04:05Z"), "abc", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{"k":[1,2]}`, "1 day 02:00:00", "[1,2]"}
	for i, v := range rows[0] {
		if !reflect.DeepEqual(v, wantRow[i]) {
			t.Errorf("column %s = %#v, want %#v", schema[i].Name, v, wantRow[i])
		}
	}
	for i, v := range rows[1] {
		if v != nil {
			t.Errorf("null column %s = %#v", schema[i].Name, v)
		}
	}
}

func TestPostgresSourceIsReadOnly(t *testing.T) {
	url := testenv.PostgresURL(t)
	pgExec(t, url, "CREATE TABLE t (id int)")
	src := mustSource(t, NewRegistry(Options{}), "postgres", map[string]any{"url": url, "query": "INSERT INTO t VALUES (1) RETURNING id"})
	err := src.Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassConfig || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("writing query = %v (class %s)", err, Classify(err))
	}
}

func TestPostgresSinkReadOnlyDatabase(t *testing.T) {
	target, url := postgresTargetURL(t)
	sink := target.sink(t, ModeAppend, nil)
	mustWrite(t, sink, runInfo(1), testBatch(0, 1))
	name := url[strings.LastIndexByte(url, '/')+1 : strings.IndexByte(url, '?')]
	pgExec(t, url, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET default_transaction_read_only = on")
	_, err := WriteAll(context.Background(), sink, runInfo(2), testSchema, testBatch(0, 2, 3))
	if Classify(err) != ClassConfig || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("write to a read-only database = %v (class %s), want config", err, Classify(err))
	}
	wantRows(t, target, testBatch(0, 1))
}

func TestPostgresErrors(t *testing.T) {
	url := testenv.PostgresURL(t)
	r := NewRegistry(Options{})
	f := func(err error, want Class, msg string) {
		t.Helper()
		if Classify(err) != want || !strings.Contains(err.Error(), msg) {
			t.Errorf("error = %v (class %s), want class %s mentioning %q", err, Classify(err), want, msg)
		}
		if strings.Contains(err.Error(), "vigil-test-password") {
			t.Errorf("error %q leaks the password", err)
		}
	}
	err := mustSource(t, r, "postgres", map[string]any{"url": url, "table": "nope"}).Read(context.Background(), func(Batch) error { return nil })
	f(err, ClassSchema, `relation "nope" does not exist`)
	bad := strings.Replace(url, "vigil-test-password", "wrong-password", 1)
	err = mustSource(t, r, "postgres", map[string]any{"url": bad, "table": "t"}).Read(context.Background(), func(Batch) error { return nil })
	f(err, ClassConfig, "password authentication failed")
	closed := "postgres://vigil:vigil-test-password@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"
	err = mustSource(t, r, "postgres", map[string]any{"url": closed, "table": "t"}).Read(context.Background(), func(Batch) error { return nil })
	f(err, ClassConnection, "connect to postgres")
	err = mustSource(t, r, "postgres", map[string]any{"url_env": "VIGIL_TEST_UNSET_VARIABLE", "table": "t"}).Read(context.Background(), func(Batch) error { return nil })
	f(err, ClassConfig, "VIGIL_TEST_UNSET_VARIABLE, named by url_env, is empty")
}

func TestPostgresExecer(t *testing.T) {
	url := testenv.PostgresURL(t)
	ex, err := NewRegistry(Options{}).NewExecer("postgres", map[string]any{"url": url})
	if err != nil {
		t.Fatal(err)
	}
	n, err := ex.Exec(context.Background(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2); UPDATE t SET x = x + 1")
	if err != nil || n != 2 {
		t.Errorf("Exec = %d, %v; want 2", n, err)
	}
	_, err = ex.Exec(context.Background(), "INSERT INTO t VALUES (10); INSERT INTO t VALUES ('x')")
	if Classify(err) != ClassData {
		t.Errorf("Exec with a bad value = %v (class %s), want data", err, Classify(err))
	}
	_, rows, _ := read(t, mustSource(t, NewRegistry(Options{}), "postgres", map[string]any{"url": url, "query": "SELECT sum(x) AS s FROM t"}), RunInfo{})
	if len(rows) != 1 || rows[0][0] != int64(5) {
		t.Errorf("sum = %v, want 5", rows)
	}
}
