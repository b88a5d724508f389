package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the test, so the tests can check which one a helper chose. Everything else
// goes to the real test.
type recorder struct {
	testing.TB
	skipped, fatal bool
	msg            string
}

func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}

func (r *recorder) Fatal(args ...any) {
	r.fatal, r.msg = true, fmt.Sprint(args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal, r.msg = true, fmt.Sprintf(format, args...)
}

// missingCases are the two environments a missing dependency is reported in.
var missingCases = []struct {
	name, ci            string
	wantSkip, wantFatal bool
}{
	{name: "developer", ci: "", wantSkip: true},
	{name: "CI=false", ci: "false", wantSkip: true},
	{name: "CI=true", ci: "true", wantFatal: true},
	{name: "CI=1", ci: "1", wantFatal: true},
}

func (r *recorder) check(t *testing.T, wantSkip, wantFatal bool, wantInMsg string) {
	t.Helper()
	if r.skipped != wantSkip || r.fatal != wantFatal {
		t.Fatalf("skipped=%v fatal=%v, want skipped=%v fatal=%v (message %q)", r.skipped, r.fatal, wantSkip, wantFatal, r.msg)
	}
	if !containsFold(r.msg, wantInMsg) {
		t.Errorf("message %q does not mention %q", r.msg, wantInMsg)
	}
}

func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}
