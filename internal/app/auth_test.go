package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/app"
)

const (
	viewerToken   = "viewer-token-0123456789"
	operatorToken = "operator-token-0123456789"
	adminToken    = "admin-token-0123456789"
)

func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "vigil.yaml")
	cfg := "storage:\n  data_dir: " + filepath.Join(dir, "data") + "\n" +
		"auth:\n  tokens:\n" +
		"    - {name: grafana, role: viewer, token: " + viewerToken + "}\n" +
		"    - {name: prom, role: operator, token: " + operatorToken + "}\n" +
		"    - {name: ops, role: admin, token: " + adminToken + "}\n" + extra
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoles(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, app.Options{ConfigFile: writeConfig(t, dir, "")})
	base := "http://" + a.Addr()
	anon, viewer, operator, admin := client{base, ""}, client{base, viewerToken}, client{base, operatorToken}, client{base, adminToken}
	wrong := client{base, "not-a-token-at-all"}

	f := func(c client, method, path string, want int) {
		t.Helper()
		code, body := c.do(t, method, path, nil, nil)
		if code != want {
			t.Fatalf("%s %s with token %q: %d %s, want %d", method, path, c.token, code, body, want)
		}
	}
	f(anon, "GET", "/-/ready", 200)
	f(anon, "GET", "/-/healthy", 200)
	f(anon, "GET", "/api/v1/query?query=1", 401)
	f(wrong, "GET", "/api/v1/query?query=1", 401)
	f(anon, "GET", "/metrics", 401)
	f(viewer, "GET", "/api/v1/query?query=1", 200)
	f(viewer, "POST", "/api/v1/query?query=1", 200)
	f(viewer, "GET", "/metrics", 200)
	f(viewer, "POST", "/api/v1/write", 403)
	f(viewer, "POST", "/v1/metrics", 403)
	f(viewer, "POST", "/-/reload", 403)
	// An operator reaches the receivers; an empty body is then their 4xx, not auth's.
	f(operator, "POST", "/api/v1/write", 400)
	f(operator, "POST", "/-/reload", 403)
	f(operator, "GET", "/api/v1/status/config", 403)
	f(admin, "POST", "/-/reload", 200)
	f(admin, "GET", "/api/v1/labels", 200)

	code, body := admin.do(t, "GET", "/api/v1/status/config", nil, nil)
	if code != 200 || strings.Contains(body, adminToken) || strings.Contains(body, viewerToken) || !strings.Contains(body, "secret") {
		t.Fatalf("config API must redact tokens: %d %s", code, body)
	}
	_, metrics := admin.do(t, "GET", "/metrics", nil, nil)
	if !strings.Contains(metrics, `vigil_http_auth_failures_total{reason="forbidden"}`) || !strings.Contains(metrics, `vigil_http_auth_failures_total{reason="unauthenticated"}`) {
		t.Fatal("auth failures are not counted")
	}
}

func TestBodyLimit(t *testing.T) {
	a := startApp(t, app.Options{})
	c := client{base: "http://" + a.Addr()}
	code, _ := c.do(t, "POST", "/api/v1/query", []byte("query="+strings.Repeat("x", 5<<20)), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 MB query body: %d, want 413", code)
	}
}

// TestReloadKeepsLastGood checks reload over HTTP: a bad file changes
// nothing and says why; a good one takes effect (here: a new token).
func TestReloadKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "")
	a := startApp(t, app.Options{ConfigFile: path})
	admin := client{"http://" + a.Addr(), adminToken}
	metric := func() string {
		_, m := admin.do(t, "GET", "/metrics", nil, nil)
		for _, line := range strings.Split(m, "\n") {
			if strings.HasPrefix(line, "vigil_config_last_reload_successful ") {
				return strings.TrimPrefix(line, "vigil_config_last_reload_successful ")
			}
		}
		return "missing"
	}

	if err := os.WriteFile(path, []byte("server:\n  listn: oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := admin.do(t, "POST", "/-/reload", nil, nil)
	if code != 500 || !strings.Contains(body, `unknown field "listn"`) || !strings.Contains(body, `did you mean "listen"`) {
		t.Fatalf("bad reload: %d %s", code, body)
	}
	if metric() != "0" {
		t.Fatalf("vigil_config_last_reload_successful = %s after a bad reload", metric())
	}
	if _, m := admin.do(t, "GET", "/metrics", nil, nil); !strings.Contains(m, `vigil_config_reloads_total{result="invalid"} 1`) {
		t.Fatal("the invalid reload is not counted")
	}
	// The old tokens still work.
	if code, _ := admin.do(t, "GET", "/api/v1/labels", nil, nil); code != 200 {
		t.Fatalf("last good config lost: %d", code)
	}

	writeConfig(t, dir, "    - {name: new, role: viewer, token: brand-new-token-0123456789}\n")
	if code, body := admin.do(t, "POST", "/-/reload", nil, nil); code != 200 {
		t.Fatalf("good reload: %d %s", code, body)
	}
	if metric() != "1" {
		t.Fatalf("vigil_config_last_reload_successful = %s after a good reload", metric())
	}
	if code, _ := (client{"http://" + a.Addr(), "brand-new-token-0123456789"}).do(t, "GET", "/api/v1/labels", nil, nil); code != 200 {
		t.Fatalf("new token not accepted after reload: %d", code)
	}
}
