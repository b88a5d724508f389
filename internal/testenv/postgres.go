package testenv

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURLEnv names the environment variable holding the URL of the
// PostgreSQL server that tests use. The URL's user must be allowed to create
// databases.
const PostgresURLEnv = "VIGIL_TEST_POSTGRES_URL"

// adminTimeout bounds each statement PostgresURL runs on the server.
const adminTimeout = 30 * time.Second

// PostgresURL creates a fresh, empty database for the test on the server named
// by VIGIL_TEST_POSTGRES_URL, drops it when the test ends, and returns its URL.
// When the variable is unset, the test is skipped, or fails if CI is true.
// The server must be PostgreSQL 13 or newer.
func PostgresURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(PostgresURLEnv)
	if raw == "" {
		missing(t, "%s is not set; to run this test against PostgreSQL: export \"$(scripts/postgres.sh start)\"", PostgresURLEnv)
		return ""
	}
	server, err := url.Parse(raw)
	if err != nil || (server.Scheme != "postgres" && server.Scheme != "postgresql") {
		// The value is not printed: it may hold a password.
		t.Fatalf("%s must be a postgres:// URL", PostgresURLEnv)
		return ""
	}
	name := databaseName(t.Name())
	ident := pgx.Identifier{name}.Sanitize()
	if err := execAdmin(raw, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("create test database %s on %s: %v", name, server.Redacted(), err)
		return ""
	}
	t.Cleanup(func() {
		// FORCE ends sessions the test left open, which would block the drop.
		if err := execAdmin(raw, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s on %s: %v", name, server.Redacted(), err)
		}
	})
	db := *server
	db.Path = "/" + name
	db.RawPath = ""
	return db.String()
}

// execAdmin runs one statement on the server at serverURL in its own
// connection. It does not use the test's context, which has ended by the
// time cleanups run.
func execAdmin(serverURL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, stmt)
	if cerr := conn.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// databaseName returns a unique database name made of a readable prefix of
// the test's name and a random suffix. It fits PostgreSQL's 63-byte limit on
// identifiers: 11 bytes of "vigil_test_", at most 24 of the test's name, an
// underscore and 26 random characters.
func databaseName(testName string) string {
	const prefix, maxReadable = "vigil_test_", 24
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range strings.ToLower(testName) {
		if b.Len() == len(prefix)+maxReadable {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteByte('_')
	b.WriteString(strings.ToLower(rand.Text()))
	return b.String()
}
