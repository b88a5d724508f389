package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestProblemsError(t *testing.T) {
	ps := Problems{
		{File: "a.yaml", Line: 3, Field: "tasks[0] (x).timeout", Message: "must be positive"},
		{File: "a.yaml", Message: "the file is empty"},
		{Field: "external[1]", Message: "listed twice"},
	}
	want := "a.yaml:3: tasks[0] (x).timeout: must be positive\na.yaml: the file is empty\nexternal[1]: listed twice"
	if got := ps.Error(); got != want {
		t.Fatalf("Error() =\n%s\nwant\n%s", got, want)
	}
	var err error = ps
	var p Problem
	if !errors.As(err, &p) || p != ps[0] {
		t.Fatalf("errors.As(Problems, *Problem) = %v", p)
	}
	if !errors.Is(err, ps[1]) {
		t.Fatal("errors.Is(Problems, one of them) = false")
	}
}

func TestLoadDirUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "a.yaml")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	checkProblems(t, loadProblems(t, dir), []string{`a.yaml: cannot read: no such file or directory`})
}

func TestRetryable(t *testing.T) {
	r := DefaultRetries()
	for _, c := range ErrorClasses() {
		want := slices.Contains([]ErrorClass{ClassTimeout, ClassConnection, ClassHTTP5xx, ClassRateLimited, ClassLocked}, c)
		if r.Retryable(c) != want || !c.Valid() {
			t.Fatalf("Retryable(%s) = %v", c, !want)
		}
	}
	if ErrorClass("nope").Valid() || r.Retryable("nope") {
		t.Fatal("an unknown class is valid or retryable")
	}
	if len(ErrorClasses()) != 11 {
		t.Fatalf("ErrorClasses() = %v, want the 11 of docs/etl.md", ErrorClasses())
	}
}
