package series

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/scrape"
	"gopkg.in/yaml.v3"

	"github.com/vigil-aiops/vigil/internal/config"
)

// Scraper pulls metrics from static targets with Prometheus's own scrape
// manager, writing through the store's appender like every receiver.
type Scraper struct {
	m      *scrape.Manager
	tsets  chan map[string][]*targetgroup.Group
	logger *slog.Logger
}

// NewScraper creates a scraper writing into s. Call Apply, then Run.
func (s *Store) NewScraper(logger *slog.Logger, reg prometheus.Registerer) (*Scraper, error) {
	m, err := scrape.NewManager(&scrape.Options{DiscoveryReloadInterval: model.Duration(time.Second)}, logger.With("component", "scrape"), nil, nil, s,
		prometheus.WrapRegistererWithPrefix("vigil_", reg))
	if err != nil {
		return nil, fmt.Errorf("create scrape manager: %w", err)
	}
	return &Scraper{m: m, tsets: make(chan map[string][]*targetgroup.Group, 1), logger: logger}, nil
}

// Apply replaces the scrape jobs. It is safe to call while running, which
// is how a configuration reload reaches the scraper.
func (sc *Scraper) Apply(cfgs []config.ScrapeConfig) error {
	pc, err := prometheusScrapeConfig(cfgs)
	if err != nil {
		return err
	}
	if err := sc.m.ApplyConfig(pc); err != nil {
		return fmt.Errorf("apply scrape configs: %w", err)
	}
	groups := make(map[string][]*targetgroup.Group, len(cfgs))
	for _, c := range cfgs {
		for i, st := range c.StaticConfigs {
			g := &targetgroup.Group{Source: fmt.Sprintf("%s/%d", c.JobName, i), Labels: model.LabelSet{}}
			for _, t := range st.Targets {
				g.Targets = append(g.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(t)})
			}
			for k, v := range st.Labels {
				g.Labels[model.LabelName(k)] = model.LabelValue(v)
			}
			groups[c.JobName] = append(groups[c.JobName], g)
		}
	}
	// Replace a pending, not yet consumed update rather than block.
	select {
	case <-sc.tsets:
	default:
	}
	sc.tsets <- groups
	return nil
}

// Run scrapes until ctx ends.
func (sc *Scraper) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- sc.m.Run(sc.tsets) }()
	<-ctx.Done()
	sc.m.Stop()
	return <-done
}

// prometheusScrapeConfig turns Vigil's subset into a Prometheus config by
// way of its YAML, so that Prometheus applies its own defaults and checks.
func prometheusScrapeConfig(cfgs []config.ScrapeConfig) (*promconfig.Config, error) {
	type auth struct {
		Username    string `yaml:"username,omitempty"`
		Password    string `yaml:"password,omitempty"`
		Credentials string `yaml:"credentials,omitempty"`
	}
	type job struct {
		JobName        string `yaml:"job_name"`
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
		MetricsPath    string `yaml:"metrics_path"`
		Scheme         string `yaml:"scheme"`
		BasicAuth      *auth  `yaml:"basic_auth,omitempty"`
		Authorization  *auth  `yaml:"authorization,omitempty"`
		StaticConfigs  []any  `yaml:"static_configs"`
	}
	var jobs []job
	for _, c := range cfgs {
		j := job{
			JobName:        c.JobName,
			ScrapeInterval: c.ScrapeInterval.String(),
			ScrapeTimeout:  c.ScrapeTimeout.String(),
			MetricsPath:    c.MetricsPath,
			Scheme:         c.Scheme,
			StaticConfigs:  []any{},
		}
		if c.BasicAuth != nil {
			j.BasicAuth = &auth{Username: c.BasicAuth.Username, Password: string(c.BasicAuth.Password)}
		}
		if c.BearerToken != "" {
			j.Authorization = &auth{Credentials: string(c.BearerToken)}
		}
		jobs = append(jobs, j)
	}
	b, err := yaml.Marshal(map[string]any{"scrape_configs": jobs})
	if err != nil {
		return nil, fmt.Errorf("encode scrape configs: %w", err)
	}
	pc, err := promconfig.Load(string(b), slog.New(slog.DiscardHandler))
	if err != nil {
		// Vigil's own validation should have caught this; the error text
		// carries no secrets because Prometheus's config redacts them.
		return nil, fmt.Errorf("scrape configs: %w", err)
	}
	return pc, nil
}
