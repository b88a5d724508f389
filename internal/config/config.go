// Package config loads, defaults and validates Vigil's YAML configuration.
//
// Parsing is strict: an unknown field is an error that names the field, its
// line and the closest known name, because a silently ignored typo in a
// monitoring system is an outage nobody is told about. The package only
// describes configuration; it starts nothing and imports no other Vigil
// package.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole of vigil.yaml.
type Config struct {
	Server        Server         `yaml:"server"`
	Log           Log            `yaml:"log"`
	Storage       Storage        `yaml:"storage"`
	Query         Query          `yaml:"query"`
	Ingest        Ingest         `yaml:"ingest"`
	State         State          `yaml:"state"`
	Auth          Auth           `yaml:"auth"`
	ETL           ETL            `yaml:"etl"`
	Engine        Engine         `yaml:"engine"`
	Notify        Notify         `yaml:"notify"`
	Remediation   Remediation    `yaml:"remediation"`
	ScrapeConfigs []ScrapeConfig `yaml:"scrape_configs"`
	// RuleFiles are globs of Prometheus rule files (alerting and recording
	// rules), relative to the working directory; reloaded with the config.
	RuleFiles []string `yaml:"rule_files"`
	// RuleInterval is the evaluation interval of rule groups without one.
	RuleInterval Duration `yaml:"rule_interval"`
}

// Notify configures where incidents are announced. Every receiver gets
// the incidents at or above its minimum severity; delivery goes through
// the state store's outbox, so none is lost to a crash or an outage.
type Notify struct {
	Receivers []Receiver `yaml:"receivers"`
	// ExternalURL is how people reach this Vigil; links in notifications
	// point there.
	ExternalURL string `yaml:"external_url"`
	// Route, when set, routes incidents to the receivers with
	// Alertmanager's routing tree and timings (group_wait,
	// group_interval, repeat_interval); receivers' min_severity still
	// applies. Without it, every receiver is told of every incident at or
	// above its min_severity at once.
	Route *Route `yaml:"route"`
	// AlertmanagerResend is how often firing incidents are sent again to
	// Alertmanager receivers, which resolve alerts they have not heard of
	// for their resolve_timeout (5m by default); it must be shorter.
	AlertmanagerResend Duration `yaml:"alertmanager_resend"`
}

// Remediation configures automatic fixes: policies map incidents (a CEL
// condition over incident.kind, .severity, .pipeline, .root_node,
// .signals, .id) to an action, under guardrails.
type Remediation struct {
	// KillSwitch stops every action; DryRun records what would be done.
	KillSwitch bool           `yaml:"kill_switch"`
	DryRun     bool           `yaml:"dry_run"`
	Policies   []PolicyConfig `yaml:"policies"`
}

// PolicyConfig is one automation policy.
type PolicyConfig struct {
	Name string `yaml:"name"`
	When string `yaml:"when"`
	// Action is retry_run: run the failed tasks of the pipeline's latest
	// failed run again.
	Action     string   `yaml:"action"`
	Cooldown   Duration `yaml:"cooldown"`
	MaxPerHour int      `yaml:"max_per_hour"`
	DryRun     bool     `yaml:"dry_run"`
}

// Route is one node of the routing tree. Matchers use Alertmanager's
// syntax (team="data", severity=~"critical|error", pipeline!~"test_.*")
// on the incident's labels: severity, kind, pipeline, dataset, root node
// and the labels of its primary alert. Zero durations inherit the
// parent's; the root's defaults are Alertmanager's (30s, 5m, 4h).
type Route struct {
	Receiver       string   `yaml:"receiver"`
	Matchers       []string `yaml:"matchers"`
	Continue       bool     `yaml:"continue"`
	GroupBy        []string `yaml:"group_by"`
	GroupWait      Duration `yaml:"group_wait"`
	GroupInterval  Duration `yaml:"group_interval"`
	RepeatInterval Duration `yaml:"repeat_interval"`
	Routes         []Route  `yaml:"routes"`
}

// Receiver is one destination; exactly one of its kinds is set.
type Receiver struct {
	Name string `yaml:"name"`
	// MinSeverity is info, warning (default), error or critical.
	MinSeverity  string             `yaml:"min_severity"`
	PagerDuty    *PagerDutyReceiver `yaml:"pagerduty"`
	SlackWebhook *URLReceiver       `yaml:"slack_webhook"`
	Alertmanager *URLReceiver       `yaml:"alertmanager"`
	Webhook      *URLReceiver       `yaml:"webhook"`
}

// PagerDutyReceiver is a PagerDuty Events API v2 integration.
type PagerDutyReceiver struct {
	RoutingKey Secret `yaml:"routing_key"`
	// URL overrides the Events API endpoint (for tests and proxies).
	URL string `yaml:"url"`
}

// URLReceiver is a receiver reached at a URL, with an optional bearer
// token. For a Slack incoming webhook the URL itself is the secret.
type URLReceiver struct {
	URL         Secret `yaml:"url"`
	BearerToken Secret `yaml:"bearer_token"`
}

// Engine configures anomaly detection on every stored series.
type Engine struct {
	// Enabled runs a detector on every float series.
	Enabled bool `yaml:"enabled"`
	// MaxSeries bounds the series with detector state (about 4 KiB each).
	MaxSeries int `yaml:"max_series"`
	// IdleAfter reclaims the state of a series silent for this long.
	IdleAfter Duration `yaml:"idle_after"`
	// SnapshotEvery saves the detectors' state to the state store this
	// often and at shutdown, so a restart keeps the baselines.
	SnapshotEvery Duration `yaml:"snapshot_every"`
	// Forecast configures forecasting and exhaustion prediction.
	Forecast Forecast `yaml:"forecast"`
}

// Forecast configures which series the engine forecasts, served as
// vigil_forecast{bound="mean|lower|upper"}, and which resources it
// predicts the exhaustion of.
type Forecast struct {
	Enabled bool `yaml:"enabled"`
	// Interval is how often the forecasts are computed again.
	Interval Duration `yaml:"interval"`
	// Step is their resolution; History how far back the models learn;
	// Horizon how far ahead they see.
	Step    Duration `yaml:"step"`
	History Duration `yaml:"history"`
	Horizon Duration `yaml:"horizon"`
	// MaxSeries bounds the series forecast per round.
	MaxSeries int              `yaml:"max_series"`
	Targets   []ForecastTarget `yaml:"targets"`
}

// ForecastTarget selects series with a PromQL expression; with Limit, the
// value at which the resource they measure is exhausted, a forecast that
// crosses it within the horizon becomes a prediction Signal.
type ForecastTarget struct {
	Query string   `yaml:"query"`
	Limit *float64 `yaml:"limit"`
}

// ETL configures the built-in pipeline runtime.
type ETL struct {
	// PipelinesDir holds the pipeline specs (*.yaml). Empty runs no
	// pipelines; remote agents and OpenLineage ingestion still work.
	PipelinesDir string `yaml:"pipelines_dir"`
	// WorkDir is where relative paths in connector settings resolve;
	// empty means <storage.data_dir>/etl.
	WorkDir string `yaml:"work_dir"`
	// Agents is the number of in-process agents, each with Slots slots.
	// Zero leaves all work to remote `vigil agent` processes.
	Agents int `yaml:"agents"`
	Slots  int `yaml:"slots"`
	// Lease is how long a claimed attempt stays an agent's without a
	// heartbeat; AgentTimeout is when a silent agent is declared dead.
	Lease        Duration `yaml:"lease"`
	AgentTimeout Duration `yaml:"agent_timeout"`
	// MetricsInterval is how often the runtime writes its gauges (dataset
	// freshness, agent utilisation, queued tasks) and checks every
	// dataset against its pipeline's freshness budget.
	MetricsInterval Duration `yaml:"metrics_interval"`
	// LineageNamespace is the OpenLineage job namespace of Vigil's runs.
	LineageNamespace string `yaml:"lineage_namespace"`
	// OpenLineageURL, when set, receives every RunEvent of Vigil's runs
	// (POST, JSON), delivered through the durable outbox with retries.
	OpenLineageURL string `yaml:"openlineage_url"`
	// OpenLineageAPIKey is sent as a bearer token to OpenLineageURL.
	OpenLineageAPIKey Secret `yaml:"openlineage_api_key"`
	// DemoShop serves the made-up shop API the example pipelines extract
	// from, at /demo/orders, without authentication.
	DemoShop bool `yaml:"demo_shop"`
}

// Server configures the HTTP listener.
type Server struct {
	// Listen is the host:port to serve on. Loopback by default so that a
	// fresh install exposes nothing to the network.
	Listen string `yaml:"listen"`
	// TLS is optional; both files must be set to enable it.
	TLS TLS `yaml:"tls"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response; it must exceed query.timeout.
	WriteTimeout Duration `yaml:"write_timeout"`
	// MaxRequestBytes limits every request body that is not ingestion.
	MaxRequestBytes int64 `yaml:"max_request_bytes"`
}

// TLS names a certificate and its key in PEM files.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Storage configures the embedded series store.
type Storage struct {
	// DataDir holds the series store (series/) and the SQLite state (state.db).
	DataDir string `yaml:"data_dir"`
	// Retention is how long samples are kept.
	Retention Duration `yaml:"retention"`
	// OutOfOrderWindow accepts samples this much older than a series' newest
	// one. Zero rejects every out-of-order sample, as Prometheus does.
	OutOfOrderWindow Duration `yaml:"out_of_order_window"`
}

// Query sets the PromQL engine's limits. None may be zero: a zero timeout
// or sample limit would make every query fail.
type Query struct {
	Timeout       Duration `yaml:"timeout"`
	MaxSamples    int      `yaml:"max_samples"`
	LookbackDelta Duration `yaml:"lookback_delta"`
	MaxConcurrent int      `yaml:"max_concurrent"`
}

// Ingest limits what the receivers accept.
type Ingest struct {
	// MaxBodyBytes is the largest compressed request body accepted.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxDecodedBytes is the largest body after decompression.
	MaxDecodedBytes int64 `yaml:"max_decoded_bytes"`
	// MaxLabelNameLength, MaxLabelValueLength and MaxLabelsPerSeries bound
	// one series; a longer one is rejected, not truncated.
	MaxLabelNameLength  int `yaml:"max_label_name_length"`
	MaxLabelValueLength int `yaml:"max_label_value_length"`
	MaxLabelsPerSeries  int `yaml:"max_labels_per_series"`
	// NameValidation is "legacy" ([a-zA-Z_][a-zA-Z0-9_]*) or "utf8".
	NameValidation string `yaml:"name_validation"`
	// FanoutShards and FanoutQueue size the queues through which accepted
	// samples reach the engine; when a queue is full samples are dropped
	// from the engine's view (never from storage) and counted.
	FanoutShards int `yaml:"fanout_shards"`
	FanoutQueue  int `yaml:"fanout_queue"`
	// MaxConcurrentRequests bounds ingestion requests decoded at once,
	// which bounds the memory they take; more wait for a slot.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests"`
}

// State configures the relational state store.
type State struct {
	// PostgresURL selects PostgreSQL instead of the embedded SQLite file.
	PostgresURL Secret `yaml:"postgres_url"`
}

// Auth configures API tokens. With no token, every request is allowed:
// that is safe only because the default listen address is loopback.
type Auth struct {
	Tokens []Token `yaml:"tokens"`
}

// Token is one bearer token and the role it grants.
type Token struct {
	Name  string `yaml:"name"`
	Token Secret `yaml:"token"`
	// TokenFile reads the token from a file instead, so it stays out of
	// the config file.
	TokenFile string `yaml:"token_file"`
	Role      Role   `yaml:"role"`
}

// ScrapeConfig is the subset of Prometheus's scrape_config that Vigil supports.
type ScrapeConfig struct {
	JobName        string         `yaml:"job_name"`
	ScrapeInterval Duration       `yaml:"scrape_interval"`
	ScrapeTimeout  Duration       `yaml:"scrape_timeout"`
	MetricsPath    string         `yaml:"metrics_path"`
	Scheme         string         `yaml:"scheme"`
	BasicAuth      *BasicAuth     `yaml:"basic_auth"`
	BearerToken    Secret         `yaml:"bearer_token"`
	StaticConfigs  []StaticConfig `yaml:"static_configs"`
}

// BasicAuth is HTTP basic authentication for a scrape target.
type BasicAuth struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// StaticConfig is a fixed group of targets sharing labels.
type StaticConfig struct {
	Targets []string          `yaml:"targets"`
	Labels  map[string]string `yaml:"labels"`
}

// Default returns the configuration used when no file is given.
func Default() Config {
	return Config{
		Server: Server{
			Listen:          "127.0.0.1:9750",
			ReadTimeout:     Duration(time.Minute),
			WriteTimeout:    Duration(3 * time.Minute),
			MaxRequestBytes: 4 << 20,
		},
		Log:     Log{Level: "info", Format: "text"},
		Storage: Storage{DataDir: "./data", Retention: Duration(15 * 24 * time.Hour)},
		Query: Query{
			Timeout:       Duration(2 * time.Minute),
			MaxSamples:    50_000_000,
			LookbackDelta: Duration(5 * time.Minute),
			MaxConcurrent: 20,
		},
		Ingest: Ingest{
			MaxBodyBytes:          32 << 20,
			MaxDecodedBytes:       128 << 20,
			MaxLabelNameLength:    1024,
			MaxLabelValueLength:   4096,
			MaxLabelsPerSeries:    64,
			NameValidation:        "legacy",
			FanoutShards:          4,
			FanoutQueue:           1024,
			MaxConcurrentRequests: 16,
		},
		RuleInterval: Duration(time.Minute),
		Notify:       Notify{AlertmanagerResend: Duration(time.Minute)},
		Engine: Engine{Enabled: true, MaxSeries: 200_000, IdleAfter: Duration(time.Hour), SnapshotEvery: Duration(5 * time.Minute),
			Forecast: Forecast{Enabled: true, Interval: Duration(15 * time.Minute), Step: Duration(5 * time.Minute),
				History: Duration(7 * 24 * time.Hour), Horizon: Duration(24 * time.Hour), MaxSeries: 1000,
				Targets: []ForecastTarget{
					{Query: "vigil_etl_queued_tasks"},
					{Query: "vigil_etl_agent_utilization_ratio", Limit: ptr(1.0)},
					{Query: `node_filesystem_avail_bytes{fstype!~"tmpfs|ramfs"}`, Limit: ptr(0.0)},
				}}},
		ETL: ETL{
			Agents:           2,
			Slots:            4,
			Lease:            Duration(30 * time.Second),
			AgentTimeout:     Duration(time.Minute),
			MetricsInterval:  Duration(time.Minute),
			LineageNamespace: "vigil",
		},
	}
}

// Scrape defaults, the same as Prometheus's.
const (
	DefaultScrapeInterval = Duration(time.Minute)
	DefaultScrapeTimeout  = Duration(10 * time.Second)
	DefaultMetricsPath    = "/metrics"
)

// Load reads and validates the file at path. Relative token files are
// resolved against the file's directory.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := parse(b, filepath.Dir(path))
	if err != nil {
		return Config{}, fmt.Errorf("config %q: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML strictly onto the defaults, then validates.
//
// Defaults are the starting value of the decode rather than applied in an
// UnmarshalYAML method: yaml.v3 drops KnownFields strictness inside custom
// unmarshalers, and strictness is the point.
func Parse(b []byte) (Config, error) { return parse(b, ".") }

func parse(b []byte, baseDir string) (Config, error) {
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, explainYAMLError(err)
	}
	// A second document is almost always a paste error.
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("more than one YAML document; vigil.yaml holds exactly one")
	}
	cfg.applyDefaults()
	if err := cfg.readTokenFiles(baseDir); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// applyDefaults fills fields of list items, which a decode onto defaults
// cannot reach.
func (c *Config) applyDefaults() {
	for i := range c.ScrapeConfigs {
		sc := &c.ScrapeConfigs[i]
		if sc.ScrapeInterval == 0 {
			sc.ScrapeInterval = DefaultScrapeInterval
		}
		if sc.ScrapeTimeout == 0 {
			sc.ScrapeTimeout = min(DefaultScrapeTimeout, sc.ScrapeInterval)
		}
		if sc.MetricsPath == "" {
			sc.MetricsPath = DefaultMetricsPath
		}
		if sc.Scheme == "" {
			sc.Scheme = "http"
		}
	}
}

// readTokenFiles loads token_file contents so the rest of Vigil sees one
// kind of token.
func (c *Config) readTokenFiles(baseDir string) error {
	for i := range c.Auth.Tokens {
		t := &c.Auth.Tokens[i]
		if t.TokenFile == "" {
			continue
		}
		if t.Token != "" {
			return fmt.Errorf("auth.tokens[%d]: token and token_file are mutually exclusive", i)
		}
		path := t.TokenFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("auth.tokens[%d].token_file: %w", i, err)
		}
		t.Token = Secret(strings.TrimSpace(string(b)))
		if len(t.Token) < 16 {
			return fmt.Errorf("auth.tokens[%d].token_file: %q holds fewer than 16 characters; use a random token", i, t.TokenFile)
		}
	}
	return nil
}

var (
	jobNameRE   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.:-]*$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Validate checks every field and reports all problems at once, each
// prefixed with the path of the field it concerns.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}

	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen", "%q is not host:port: %v", c.Server.Listen, err)
	}
	if (c.Server.TLS.CertFile == "") != (c.Server.TLS.KeyFile == "") {
		bad("server.tls", "cert_file and key_file must be set together")
	}
	if c.Server.ReadTimeout <= 0 {
		bad("server.read_timeout", "must be positive")
	}
	if c.Server.WriteTimeout <= c.Query.Timeout {
		bad("server.write_timeout", "%s must exceed query.timeout %s, or slow queries are cut off mid-response", c.Server.WriteTimeout, c.Query.Timeout)
	}
	if c.Server.MaxRequestBytes <= 0 {
		bad("server.max_request_bytes", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	if c.Storage.DataDir == "" {
		bad("storage.data_dir", "must be set")
	}
	if c.Storage.Retention < Duration(2*time.Hour) {
		bad("storage.retention", "%s is shorter than one 2h block", c.Storage.Retention)
	}
	if c.Storage.OutOfOrderWindow < 0 {
		bad("storage.out_of_order_window", "must not be negative")
	}
	if c.Query.Timeout <= 0 {
		bad("query.timeout", "must be positive; zero would fail every query")
	}
	if c.Query.MaxSamples <= 0 {
		bad("query.max_samples", "must be positive; zero would fail every query")
	}
	if c.Query.LookbackDelta <= 0 {
		bad("query.lookback_delta", "must be positive; zero would make every instant query empty")
	}
	if c.Query.MaxConcurrent <= 0 {
		bad("query.max_concurrent", "must be positive")
	}
	if c.Ingest.MaxBodyBytes <= 0 {
		bad("ingest.max_body_bytes", "must be positive")
	}
	if c.Ingest.MaxDecodedBytes < c.Ingest.MaxBodyBytes {
		bad("ingest.max_decoded_bytes", "must be at least ingest.max_body_bytes")
	}
	if c.Ingest.MaxLabelNameLength <= 0 || c.Ingest.MaxLabelValueLength <= 0 || c.Ingest.MaxLabelsPerSeries <= 0 {
		bad("ingest", "max_label_name_length, max_label_value_length and max_labels_per_series must be positive")
	}
	switch c.Ingest.NameValidation {
	case "legacy", "utf8":
	default:
		bad("ingest.name_validation", "%q is not one of legacy, utf8", c.Ingest.NameValidation)
	}
	if c.Ingest.FanoutShards <= 0 || c.Ingest.FanoutQueue <= 0 {
		bad("ingest", "fanout_shards and fanout_queue must be positive")
	}
	if c.Ingest.MaxConcurrentRequests <= 0 {
		bad("ingest.max_concurrent_requests", "must be positive")
	}
	if u := string(c.State.PostgresURL); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		bad("state.postgres_url", "must start with postgres:// or postgresql://")
	}
	if c.Engine.MaxSeries <= 0 || c.Engine.IdleAfter <= 0 || c.Engine.SnapshotEvery <= 0 {
		bad("engine", "max_series, idle_after and snapshot_every must be positive")
	}
	if f := c.Engine.Forecast; f.Enabled {
		if f.Interval <= 0 || f.Step <= 0 || f.History < 2*f.Step || f.Horizon < f.Step || f.MaxSeries <= 0 {
			bad("engine.forecast", "interval, step and max_series must be positive, history at least two steps and horizon at least one")
		}
		for i, t := range f.Targets {
			if strings.TrimSpace(t.Query) == "" {
				bad(fmt.Sprintf("engine.forecast.targets[%d].query", i), "must not be empty")
			}
		}
	}
	if c.ETL.Agents < 0 || c.ETL.Slots <= 0 {
		bad("etl", "agents must not be negative and slots must be positive")
	}
	if c.ETL.MetricsInterval <= 0 {
		bad("etl.metrics_interval", "%s must be positive", c.ETL.MetricsInterval)
	}
	if c.ETL.Lease <= 0 || c.ETL.AgentTimeout < c.ETL.Lease {
		bad("etl.agent_timeout", "%s must be at least etl.lease %s, which must be positive", c.ETL.AgentTimeout, c.ETL.Lease)
	}
	if u := c.ETL.OpenLineageURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		bad("etl.openlineage_url", "%q must be an http(s) URL", u)
	}
	if c.ETL.LineageNamespace == "" {
		bad("etl.lineage_namespace", "must be set")
	}
	if c.RuleInterval <= 0 {
		bad("rule_interval", "must be positive")
	}
	errs = append(errs, c.Notify.validate()...)
	errs = append(errs, c.Auth.validate()...)
	errs = append(errs, validateScrapeConfigs(c.ScrapeConfigs)...)
	return errors.Join(errs...)
}

func (a Auth) validate() []error {
	var errs []error
	names := map[string]bool{}
	for i, t := range a.Tokens {
		field := fmt.Sprintf("auth.tokens[%d]", i)
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: must be set, it names the caller in logs and audit", field))
		} else if names[t.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is used twice", field, t.Name))
		}
		names[t.Name] = true
		switch {
		case t.Token == "" && t.TokenFile == "":
			errs = append(errs, fmt.Errorf("%s: one of token or token_file must be set", field))
		case t.Token != "" && len(t.Token) < 16:
			errs = append(errs, fmt.Errorf("%s.token: shorter than 16 characters; use a random token", field))
		}
		if !t.Role.Valid() {
			errs = append(errs, fmt.Errorf("%s.role: %q is not one of viewer, operator, admin", field, t.Role))
		}
	}
	return errs
}

func (n Notify) validate() []error {
	var errs []error
	if n.AlertmanagerResend <= 0 {
		errs = append(errs, fmt.Errorf("notify.alertmanager_resend: %s must be positive", n.AlertmanagerResend))
	}
	names := map[string]bool{}
	for i, r := range n.Receivers {
		field := fmt.Sprintf("notify.receivers[%d]", i)
		if !jobNameRE.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s.name: %q must be letters, digits and _.:-", field, r.Name))
		} else if names[r.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is used twice", field, r.Name))
		}
		names[r.Name] = true
		kinds := 0
		for _, set := range []bool{r.PagerDuty != nil, r.SlackWebhook != nil, r.Alertmanager != nil, r.Webhook != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			errs = append(errs, fmt.Errorf("%s: exactly one of pagerduty, slack_webhook, alertmanager, webhook must be set", field))
		}
		switch r.MinSeverity {
		case "", "info", "warning", "error", "critical":
		default:
			errs = append(errs, fmt.Errorf("%s.min_severity: %q is not one of info, warning, error, critical", field, r.MinSeverity))
		}
		if r.PagerDuty != nil && r.PagerDuty.RoutingKey == "" {
			errs = append(errs, fmt.Errorf("%s.pagerduty.routing_key: must be set", field))
		}
		for kind, u := range map[string]*URLReceiver{"slack_webhook": r.SlackWebhook, "alertmanager": r.Alertmanager, "webhook": r.Webhook} {
			if u != nil && !strings.HasPrefix(string(u.URL), "http://") && !strings.HasPrefix(string(u.URL), "https://") {
				errs = append(errs, fmt.Errorf("%s.%s.url: must be an http(s) URL", field, kind))
			}
		}
	}
	return errs
}

func validateScrapeConfigs(scs []ScrapeConfig) []error {
	var errs []error
	jobs := map[string]bool{}
	for i, sc := range scs {
		field := fmt.Sprintf("scrape_configs[%d]", i)
		if !jobNameRE.MatchString(sc.JobName) {
			errs = append(errs, fmt.Errorf("%s.job_name: %q is empty or has characters other than letters, digits and _.:-", field, sc.JobName))
		} else if jobs[sc.JobName] {
			errs = append(errs, fmt.Errorf("%s.job_name: %q is used twice", field, sc.JobName))
		}
		jobs[sc.JobName] = true
		if sc.ScrapeInterval <= 0 {
			errs = append(errs, fmt.Errorf("%s.scrape_interval: must be positive", field))
		}
		if sc.ScrapeTimeout <= 0 || sc.ScrapeTimeout > sc.ScrapeInterval {
			errs = append(errs, fmt.Errorf("%s.scrape_timeout: %s must be positive and at most scrape_interval %s", field, sc.ScrapeTimeout, sc.ScrapeInterval))
		}
		if !strings.HasPrefix(sc.MetricsPath, "/") {
			errs = append(errs, fmt.Errorf("%s.metrics_path: %q must start with /", field, sc.MetricsPath))
		}
		if sc.Scheme != "http" && sc.Scheme != "https" {
			errs = append(errs, fmt.Errorf("%s.scheme: %q is not http or https", field, sc.Scheme))
		}
		if sc.BasicAuth != nil && sc.BearerToken != "" {
			errs = append(errs, fmt.Errorf("%s: basic_auth and bearer_token are mutually exclusive", field))
		}
		if sc.BasicAuth != nil && sc.BasicAuth.Username == "" {
			errs = append(errs, fmt.Errorf("%s.basic_auth.username: must be set", field))
		}
		if len(sc.StaticConfigs) == 0 {
			errs = append(errs, fmt.Errorf("%s.static_configs: at least one group of targets is needed", field))
		}
		for j, st := range sc.StaticConfigs {
			sf := fmt.Sprintf("%s.static_configs[%d]", field, j)
			if len(st.Targets) == 0 {
				errs = append(errs, fmt.Errorf("%s.targets: must not be empty", sf))
			}
			for k, t := range st.Targets {
				if _, _, err := net.SplitHostPort(t); err != nil || strings.Contains(t, "/") {
					errs = append(errs, fmt.Errorf("%s.targets[%d]: %q is not host:port", sf, k, t))
				}
			}
			for name := range st.Labels {
				if !labelNameRE.MatchString(name) || strings.HasPrefix(name, "__") {
					errs = append(errs, fmt.Errorf("%s.labels: %q is not a valid label name (reserved names start with __)", sf, name))
				}
			}
		}
	}
	return errs
}

func ptr[T any](v T) *T { return &v }

// String shows the limit's value rather than its address.
func (t ForecastTarget) String() string {
	if t.Limit == nil {
		return fmt.Sprintf("{query: %s}", t.Query)
	}
	return fmt.Sprintf("{query: %s, limit: %g}", t.Query, *t.Limit)
}
