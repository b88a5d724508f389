package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireBinary returns the path of the executable name, looked up in PATH
// and then in candidates, which must be absolute paths (for binaries that are
// installed outside PATH, such as /usr/lib/postgresql/15/bin/initdb). When
// none is found, the test is skipped, or fails if CI is true.
func RequireBinary(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, c := range candidates {
		if !filepath.IsAbs(c) {
			t.Fatalf("require binary %s: candidate %q is not an absolute path", name, c)
			return ""
		}
		if isExecutable(c) {
			return c
		}
	}
	missing(t, "required binary %s not found in PATH or in %q; install it to run this test", name, candidates)
	return ""
}

// isExecutable reports whether path is a regular file with an execute bit set.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
