package state

import (
	"bytes"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigil-aiops/vigil/internal/testenv"
)

func TestPostgres(t *testing.T) {
	var logs bytes.Buffer
	dbURL := testenv.PostgresURL(t)
	s, err := Open(t.Context(), Options{
		PostgresURL: dbURL,
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		Registerer:  prometheus.NewPedanticRegistry(),
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if s.Dialect() != DialectPostgres {
		t.Fatalf("Dialect() = %q, want %q", s.Dialect(), DialectPostgres)
	}
	var app string
	if err := s.db.QueryRowContext(t.Context(), "SELECT current_setting('application_name')").Scan(&app); err != nil || app != "vigil" {
		t.Errorf("application_name = %q, %v; want vigil", app, err)
	}
	if pw, ok := mustParse(t, dbURL).User.Password(); ok && strings.Contains(logs.String(), ":"+pw+"@") {
		t.Errorf("logs leak the password:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "state store opened") {
		t.Errorf("logs do not report the opening:\n%s", logs.String())
	}
	runSuite(t, s)
}

func TestPostgresReopen(t *testing.T) {
	testReopen(t, Options{PostgresURL: testenv.PostgresURL(t)})
}

func TestPostgresConcurrentOpen(t *testing.T) {
	testConcurrentOpen(t, Options{PostgresURL: testenv.PostgresURL(t)})
}

// TestPostgresWrongPasswordNotLeaked connects with a wrong password and
// checks that the error names the server but not the password.
func TestPostgresWrongPasswordNotLeaked(t *testing.T) {
	u := mustParse(t, testenv.PostgresURL(t))
	const secret = "wrong-Secret-4711"
	u.User = url.UserPassword(u.User.Username(), secret)
	s, err := Open(t.Context(), Options{PostgresURL: u.String()})
	if err == nil {
		s.Close()
		t.Fatal("Open with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), u.Host) {
		t.Errorf("error does not name the server %s: %v", u.Host, err)
	}
	t.Logf("error reads: %v", err)
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse url: %v", err)
	}
	return u
}
