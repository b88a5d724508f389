package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseEmptyIsDefault(t *testing.T) {
	cfg, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Fatalf("empty file gave\n%+v\nwant defaults\n%+v", cfg, want)
	}
	if cfg.Server.Listen != "127.0.0.1:9750" || cfg.Storage.DataDir != "./data" {
		t.Fatalf("defaults changed: listen %q, data dir %q", cfg.Server.Listen, cfg.Storage.DataDir)
	}
}

func TestExampleFileIsValidAndDefault(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "examples", "vigil.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The annotated example documents the defaults; it must not drift from them.
	want := Default()
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Fatalf("examples/vigil.yaml differs from the defaults:\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestParseErrors(t *testing.T) {
	f := func(name, in, want string) {
		t.Helper()
		_, err := Parse([]byte(in))
		if err == nil {
			t.Fatalf("%s: no error, want one containing %q", name, want)
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %q does not contain %q", name, err, want)
		}
	}
	f("typo", "server:\n  listn: 1.2.3.4:5\n", `line 2: unknown field "listn" in Server (did you mean "listen"?)`)
	f("unknown top level", "sever: {}\n", `unknown field "sever" in Config (did you mean "server"?)`)
	f("nothing close", "server:\n  zzzzzzzzzzzz: 1\n", `unknown field "zzzzzzzzzzzz" in Server`)
	f("bad listen", "server:\n  listen: nonsense\n", "server.listen")
	f("bad duration", "storage:\n  retention: 3 days\n", `unknown unit " days"`)
	f("zero timeout", "query:\n  timeout: 0s\n", "query.timeout: must be positive")
	f("zero max samples", "query:\n  max_samples: 0\n", "query.max_samples")
	f("zero lookback", "query:\n  lookback_delta: 0s\n", "query.lookback_delta")
	f("short retention", "storage:\n  retention: 1h\n", "storage.retention")
	f("log level", "log:\n  level: loud\n", `log.level: "loud"`)
	f("tls half", "server:\n  tls:\n    cert_file: a.pem\n", "server.tls")
	f("two documents", "log:\n  level: info\n---\nlog:\n  level: debug\n", "more than one YAML document")
	f("wrong type", "query:\n  max_samples: lots\n", "cannot unmarshal")
	f("bad postgres url", "state:\n  postgres_url: mysql://x\n", "state.postgres_url")
	f("token no role", "auth:\n  tokens:\n    - name: a\n      token: 0123456789abcdef\n", `auth.tokens[0].role: "" is not one of`)
	f("short token", "auth:\n  tokens:\n    - name: a\n      token: short\n      role: viewer\n", "shorter than 16")
	f("duplicate token name", "auth:\n  tokens:\n    - {name: a, token: 0123456789abcdef, role: viewer}\n    - {name: a, token: 0123456789abcdeg, role: admin}\n", `"a" is used twice`)
	f("both token kinds", "auth:\n  tokens:\n    - {name: a, token: 0123456789abcdef, token_file: x, role: viewer}\n", "mutually exclusive")
	f("scrape timeout", "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n    static_configs: [{targets: ['localhost:1']}]\n", "scrape_configs[0].scrape_timeout")
	f("scrape target", "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['http://localhost:1/metrics']}]\n", "scrape_configs[0].static_configs[0].targets[0]")
	f("scrape no targets", "scrape_configs:\n  - job_name: a\n", "scrape_configs[0].static_configs")
	f("scrape dup job", "scrape_configs:\n  - {job_name: a, static_configs: [{targets: ['h:1']}]}\n  - {job_name: a, static_configs: [{targets: ['h:2']}]}\n", `"a" is used twice`)
	f("scrape label", "scrape_configs:\n  - {job_name: a, static_configs: [{targets: ['h:1'], labels: {__x: y}}]}\n", "not a valid label name")
	f("receiver two kinds", "notify:\n  receivers:\n    - {name: a, webhook: {url: 'http://x'}, alertmanager: {url: 'http://y'}}\n", "exactly one of pagerduty")
	f("receiver no kind", "notify:\n  receivers:\n    - {name: a}\n", "notify.receivers[0]: exactly one")
	f("receiver bad url", "notify:\n  receivers:\n    - {name: a, webhook: {url: 'ftp://x'}}\n", "notify.receivers[0].webhook.url")
	f("receiver no routing key", "notify:\n  receivers:\n    - {name: a, pagerduty: {}}\n", "pagerduty.routing_key: must be set")
	f("receiver severity", "notify:\n  receivers:\n    - {name: a, min_severity: loud, webhook: {url: 'http://x'}}\n", `min_severity: "loud"`)
	f("receiver dup", "notify:\n  receivers:\n    - {name: a, webhook: {url: 'http://x'}}\n    - {name: a, webhook: {url: 'http://y'}}\n", `"a" is used twice`)
	f("scrape auth both", "scrape_configs:\n  - {job_name: a, bearer_token: t, basic_auth: {username: u}, static_configs: [{targets: ['h:1']}]}\n", "mutually exclusive")
}

func TestParseReportsAllProblems(t *testing.T) {
	_, err := Parse([]byte("query:\n  timeout: 0s\n  max_samples: 0\nlog:\n  format: xml\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"query.timeout", "query.max_samples", "log.format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestScrapeDefaults(t *testing.T) {
	cfg, err := Parse([]byte("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h:1']}]\n  - job_name: b\n    scrape_interval: 5s\n    static_configs: [{targets: ['h:2']}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.ScrapeConfigs[0], cfg.ScrapeConfigs[1]
	if a.ScrapeInterval != Duration(time.Minute) || a.ScrapeTimeout != Duration(10*time.Second) || a.MetricsPath != "/metrics" || a.Scheme != "http" {
		t.Errorf("defaults not applied: %+v", a)
	}
	if b.ScrapeTimeout != Duration(5*time.Second) {
		t.Errorf("timeout should shrink to a short interval, got %s", b.ScrapeTimeout)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.token"), []byte("  0123456789abcdefXYZ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(path, []byte("auth:\n  tokens:\n    - {name: g, token_file: t.token, role: viewer}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.Auth.Tokens[0].Token); got != "0123456789abcdefXYZ" {
		t.Fatalf("token from file = %q", got)
	}
	if err := os.WriteFile(path, []byte("auth:\n  tokens:\n    - {name: g, token_file: missing.token, role: viewer}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "auth.tokens[0].token_file") {
		t.Fatalf("missing token file: err = %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const pw = "hunter2-very-secret-password"
	cfg, err := Parse([]byte("state:\n  postgres_url: postgres://u:" + pw + "@db/vigil\nauth:\n  tokens:\n    - {name: a, token: " + pw + ", role: admin}\n"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg.State.PostgresURL), "yaml": string(y), "json": string(j),
	} {
		if strings.Contains(out, pw) {
			t.Errorf("%s output leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "<secret>") && !strings.Contains(out, `\u003csecret\u003e`) {
			t.Errorf("%s output does not show <secret>: %s", name, out)
		}
	}
	if string(cfg.State.PostgresURL) != "postgres://u:"+pw+"@db/vigil" {
		t.Fatal("the value itself must stay usable")
	}
}

func TestDuration(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if d.Std() != want {
			t.Fatalf("%q = %v, want %v", in, d.Std(), want)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q: round trip through %q gave %v, %v", in, d.String(), back, err)
		}
	}
	f("0", 0)
	f("30s", 30*time.Second)
	f("1h30m", 90*time.Minute)
	f("15d", 15*24*time.Hour)
	f("2w", 14*24*time.Hour)
	f("1y", 365*24*time.Hour)
	f("250ms", 250*time.Millisecond)
	f("-5m", -5*time.Minute)
	for _, bad := range []string{"", "s", "5", "5x", "1.5h", "99999999999999999999s", "300000y"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleAdmin.Allows(RoleViewer) || !RoleOperator.Allows(RoleOperator) || RoleViewer.Allows(RoleOperator) || Role("root").Allows(RoleViewer) {
		t.Fatal("role order is viewer < operator < admin, unknown roles allow nothing")
	}
}

func TestForecastConfig(t *testing.T) {
	cfg, err := Parse([]byte("engine:\n  forecast:\n    targets:\n      - query: disk_free\n        limit: 0\n      - query: queue\n"))
	if err != nil {
		t.Fatal(err)
	}
	ts := cfg.Engine.Forecast.Targets
	if len(ts) != 2 || ts[0].Limit == nil || *ts[0].Limit != 0 || ts[1].Limit != nil {
		t.Fatalf("targets %v", ts)
	}
	_, err = Parse([]byte("engine:\n  forecast:\n    history: 1m\n    targets:\n      - query: \"\"\n"))
	if err == nil || !strings.Contains(err.Error(), "engine.forecast.targets[0].query") || !strings.Contains(err.Error(), "history") {
		t.Fatalf("bad forecast config: %v", err)
	}
}
