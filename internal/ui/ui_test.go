package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/testenv"
)

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler(t *testing.T) {
	h := Handler()
	for path, want := range map[string]string{
		"/":                 "text/html",
		"/ui/incidents/x":   "text/html",
		"/static/app.js":    "text/javascript",
		"/static/chart.js":  "text/javascript",
		"/static/style.css": "text/css",
	} {
		res := get(t, h, path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), want) || len(body) == 0 {
			t.Errorf("%s: %d %q, %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.HasPrefix(want, "text/html") && !strings.Contains(string(body), `src="/static/app.js"`) {
			t.Errorf("%s is not the application page", path)
		}
		// Revalidation answers 304 without a body.
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", path)
		} else if res := get(t, h, path, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", path, res.StatusCode)
		}
	}
	for _, path := range []string{"/static/nope.js", "/static/", "/static/index.html"} {
		if res := get(t, h, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
	// A path that climbs out is cleaned and redirected, never served.
	res := get(t, h, "/static/../ui.go")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 || strings.Contains(string(body), "package ui") {
		t.Errorf("/static/../ui.go: %d %s", res.StatusCode, body)
	}
}

// TestAssetsAreSelfContained checks that the page loads nothing from
// elsewhere and runs no inline script, which the CSP would block.
func TestAssetsAreSelfContained(t *testing.T) {
	_ = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(assets, p)
		s := string(b)
		if strings.Contains(s, "http://") && !strings.Contains(s, "http://www.w3.org/2000/svg") || strings.Contains(s, "https://") {
			t.Errorf("%s refers to another origin", p)
		}
		if strings.HasSuffix(p, ".html") && (strings.Contains(s, "<script>") || strings.Contains(s, " onclick=")) {
			t.Errorf("%s has inline script", p)
		}
		return nil
	})
}

// TestScriptsParse runs node --check on every script, when Node is here
// (it fails instead of skipping under CI=true).
func TestScriptsParse(t *testing.T) {
	node := testenv.RequireBinary(t, "node")
	dir := t.TempDir()
	_ = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, _ := fs.ReadFile(assets, p)
		// As an ES module: .mjs.
		f := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".js")+".mjs")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", p, err, out)
		}
		return nil
	})
}
