package state

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestOpenPostgresNeverLeaksThePassword(t *testing.T) {
	const secret = "s3cr%et-pw"
	for _, rawURL := range []string{
		// Nothing listens on port 1, so connecting fails.
		"postgres://vigil:s3cr%25et-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=5",
		"postgresql://vigil@127.0.0.1:1/db?password=s3cr%25et-pw&sslmode=disable&connect_timeout=5",
		// Malformed: url.Parse and pgx quote their input in errors.
		"postgres://vigil:s3cr%et-pw@127.0.0.1:1/db",
		"postgres://vigil:s3cr%25et-pw@127.0.0.1:1/db?sslmode=bogus",
		"mysql://vigil:s3cr%25et-pw@127.0.0.1:1/db",
	} {
		var logs bytes.Buffer
		s, err := Open(t.Context(), Options{PostgresURL: rawURL, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded", rawURL)
		}
		for _, leak := range []string{secret, "s3cr%25et-pw"} {
			if strings.Contains(err.Error(), leak) || strings.Contains(logs.String(), leak) {
				t.Errorf("Open(%q) leaks the password:\nerror: %v\nlogs: %s", rawURL, err, logs.String())
			}
		}
		t.Logf("error reads: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db?password=pw&sslpassword=pw2&x=1", "postgres://h/db?password=xxxxx&sslpassword=xxxxx&x=1"},
	} {
		if got := redactURL(mustParse(t, tc.in)); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactError(t *testing.T) {
	cause := errors.New("dial failed")
	if got := redactError(cause, []string{"pw"}); got != cause {
		t.Errorf("an error without secrets was replaced: %v", got)
	}
	got := redactError(errors.New("auth with pw=hunter2 failed"), []string{"hunter2", ""})
	if got.Error() != "auth with pw=xxxxx failed" {
		t.Errorf("redactError = %q", got)
	}
	if redactError(nil, []string{"x"}) != nil {
		t.Error("redactError(nil) is not nil")
	}
}
