package iforest

import (
	"context"
	"math"
	"os"
	"strconv"
	"testing"
)

// requireSklearn returns a Python with scikit-learn, or skips the test; when
// the environment variable CI is true it fails instead, as internal/testenv
// does for every missing dependency.
func requireSklearn(t testing.TB, candidates []string) string {
	t.Helper()
	python, _, err := FindPython(context.Background(), candidates)
	if err == nil {
		return python
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("%v (CI is true, so a missing test dependency is a failure)", err)
		return ""
	}
	t.Skip(err)
	return ""
}

// recorder is a testing.TB that records Skip and Fatalf instead of stopping
// the test.
type recorder struct {
	testing.TB
	skipped, fatal bool
}

func (r *recorder) Skip(...any)           { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }

func TestRequireSklearnFailsInCI(t *testing.T) {
	missing := []string{"/nonexistent/python3"}
	for _, tc := range []struct {
		ci          string
		skip, fatal bool
	}{{"", true, false}, {"false", true, false}, {"true", false, true}} {
		t.Setenv("CI", tc.ci)
		r := &recorder{TB: t}
		if got := requireSklearn(r, missing); got != "" || r.skipped != tc.skip || r.fatal != tc.fatal {
			t.Errorf("CI=%q: got %q, skipped %v, failed %v", tc.ci, got, r.skipped, r.fatal)
		}
	}
}

func TestCompareWithSklearn(t *testing.T) {
	python := requireSklearn(t, PythonCandidates())
	opts := DefaultOptions()
	opts.Python = python
	opts.Repeats = 1
	if testing.Short() {
		opts.Data.Points = 5000
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Points != opts.Data.Points || rep.Dims != opts.Data.Dims || rep.Sklearn.Version == "" {
		t.Errorf("report %+v", rep)
	}
	if d := math.Abs(rep.Vigil.AUC - rep.Sklearn.AUC); d > 0.02 || rep.Vigil.AUC < 0.85 {
		t.Errorf("AUC: Vigil %.4f, scikit-learn %.4f", rep.Vigil.AUC, rep.Sklearn.AUC)
	}
	if !(rep.Speedup > 0) {
		t.Errorf("speed-up %g", rep.Speedup)
	}
}
