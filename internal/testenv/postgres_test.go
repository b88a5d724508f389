package testenv

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestPostgresURLMissing(t *testing.T) {
	for _, tc := range missingCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(PostgresURLEnv, "")
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			if got := PostgresURL(r); got != "" {
				t.Errorf("PostgresURL = %q, want empty", got)
			}
			r.check(t, tc.wantSkip, tc.wantFatal, "scripts/postgres.sh start")
		})
	}
}

func TestPostgresURLRejectsOtherSchemes(t *testing.T) {
	t.Setenv(PostgresURLEnv, "mysql://user:s3cret@localhost/db")
	r := &recorder{TB: t}
	PostgresURL(r)
	r.check(t, false, true, "postgres://")
	if strings.Contains(r.msg, "s3cret") {
		t.Errorf("message %q leaks the password", r.msg)
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^vigil_test_[a-z0-9_]+$`)
	long := strings.Repeat("TestSomethingVeryLong/With Sub-tests#01", 4)
	for _, name := range []string{"TestX", long, "Test/ünïcode"} {
		a, b := databaseName(name), databaseName(name)
		if a == b {
			t.Errorf("databaseName(%q) returned %q twice, want unique names", name, a)
		}
		if len(a) > 63 || !valid.MatchString(a) {
			t.Errorf("databaseName(%q) = %q (%d bytes), want at most 63 bytes of [a-z0-9_]", name, a, len(a))
		}
	}
}

func TestPostgresURL(t *testing.T) {
	server := os.Getenv(PostgresURLEnv)
	if server == "" {
		missing(t, "%s is not set; to run this test: export \"$(scripts/postgres.sh start)\"", PostgresURLEnv)
		return
	}
	var first, second string
	t.Run("create", func(t *testing.T) {
		first, second = PostgresURL(t), PostgresURL(t)
		if first == second {
			t.Fatalf("two calls returned the same database %q", first)
		}
		ctx := t.Context()
		conn, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatalf("connect to the test database: %v", err)
		}
		defer conn.Close(context.Background())

		var current string
		var tables int
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil {
			t.Fatal(err)
		}
		if want := dbName(t, first); current != want {
			t.Errorf("connected to database %q, want %q", current, want)
		}
		err = conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("new database has %d tables, want 0", tables)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
			t.Errorf("create a table in the test database: %v", err)
		}
	})
	if first == "" {
		t.Fatal("the subtest did not create databases")
	}

	// The subtest has ended, so its cleanups must have dropped both databases,
	// even though the connection to the first was still open when they ran.
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to the server: %v", err)
	}
	defer conn.Close(context.Background())
	for _, u := range []string{first, second} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", dbName(t, u)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after the test ended", dbName(t, u))
		}
	}
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
