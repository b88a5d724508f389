package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRequireBinaryFindsPATH(t *testing.T) {
	got := RequireBinary(t, "sh")
	if !filepath.IsAbs(got) || !isExecutable(got) {
		t.Fatalf("RequireBinary(sh) = %q, want an absolute path to an executable", got)
	}
}

func TestRequireBinaryCandidates(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	tool := filepath.Join(dir, "tool")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	missingFile := filepath.Join(dir, "absent")

	got := RequireBinary(t, "vigil-no-such-tool", missingFile, plain, dir, tool)
	if got != tool {
		t.Fatalf("RequireBinary = %q, want the first executable candidate %q", got, tool)
	}
}

func TestRequireBinaryRejectsRelativeCandidate(t *testing.T) {
	r := &recorder{TB: t}
	RequireBinary(r, "vigil-no-such-tool", "bin/tool")
	r.check(t, false, true, "not an absolute path")
}

func TestRequireBinaryMissing(t *testing.T) {
	for _, tc := range missingCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			got := RequireBinary(r, "vigil-no-such-tool", "/nonexistent/vigil-no-such-tool")
			if got != "" {
				t.Errorf("RequireBinary = %q, want empty", got)
			}
			r.check(t, tc.wantSkip, tc.wantFatal, "vigil-no-such-tool")
		})
	}
}
