package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedEnv overrides where the project's shared folder (datasets,
// specifications) is; by default it is ../shared beside the module root,
// as in CI.
const SharedEnv = "VIGIL_SHARED_DIR"

// SharedDir returns the path of sub inside the shared folder, or skips the
// test (fails it under CI=true) when that path does not exist.
func SharedDir(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv(SharedEnv)
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = filepath.Join(dir, "..", "shared")
				break
			}
			if filepath.Dir(dir) == dir {
				missing(t, "the module root, and so ../shared, is not found: run the tests inside the repository")
				return ""
			}
		}
	}
	path := filepath.Join(root, sub)
	if _, err := os.Stat(path); err != nil {
		missing(t, "the shared folder's %s is missing (check out shared/ beside the repository or set %s): %v", sub, SharedEnv, err)
	}
	return path
}
