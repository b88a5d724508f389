package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// FindPython returns the first interpreter of candidates that can run
// probe, a Python statement importing the peer library and printing its
// version, and that version. The comparisons with statsmodels and
// scikit-learn use it: Debian installs them for /usr/bin/python3, which
// need not be the python3 first in PATH. pkg names what was missing in the
// error, and hint says how to get it.
func FindPython(ctx context.Context, candidates []string, probe, pkg, hint string) (path, version string, err error) {
	var tried []string
	for _, c := range candidates {
		p, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c+" (not found)")
			continue
		}
		out, err := exec.CommandContext(ctx, p, "-c", probe).Output()
		if err != nil {
			tried = append(tried, p+" (no "+pkg+")")
			continue
		}
		return p, strings.TrimSpace(string(out)), nil
	}
	return "", "", fmt.Errorf("no Python with %s: tried %s; %s", pkg, strings.Join(tried, ", "), hint)
}
