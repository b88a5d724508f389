// Package testenv gives tests access to the external dependencies they need,
// such as a PostgreSQL server or a binary, with one rule for when a dependency
// is missing: the test is skipped on a developer machine, with a message that
// says how to provide it, and fails when the environment variable CI is true,
// so that continuous integration never passes by silently skipping.
//
// It is imported only by tests. It does not start servers itself; see
// scripts/postgres.sh for a throwaway PostgreSQL.
package testenv

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// missing reports a missing test dependency: t.Skip normally, t.Fatal in CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("%s (CI is true, so a missing test dependency is a failure)", msg)
		return
	}
	t.Skip(msg)
}

// inCI reports whether the environment variable CI holds a true value, as CI
// systems set it.
func inCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}
