package series

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/config"
)

func TestScrapeStaticTargetsWithAuth(t *testing.T) {
	const token = "scrape-token-0123456789"
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != "/custom/metrics" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "# TYPE pipeline_rows gauge\npipeline_rows{pipeline=\"orders\"} 17\n")
	}))
	defer target.Close()
	addr := strings.TrimPrefix(target.URL, "http://")

	s := newTestStore(t, t.TempDir())
	defer s.Close()
	sc, err := s.NewScraper(slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	jobs := []config.ScrapeConfig{
		{JobName: "etl", ScrapeInterval: config.Duration(200 * time.Millisecond), ScrapeTimeout: config.Duration(100 * time.Millisecond),
			MetricsPath: "/custom/metrics", Scheme: "http", BearerToken: token,
			StaticConfigs: []config.StaticConfig{{Targets: []string{addr}, Labels: map[string]string{"team": "data"}}}},
		{JobName: "wrong_token", ScrapeInterval: config.Duration(200 * time.Millisecond), ScrapeTimeout: config.Duration(100 * time.Millisecond),
			MetricsPath: "/custom/metrics", Scheme: "http", BasicAuth: &config.BasicAuth{Username: "u", Password: "p"},
			StaticConfigs: []config.StaticConfig{{Targets: []string{addr}}}},
	}
	if err := sc.Apply(jobs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		now := time.Now()
		got := s.vector(t, `up or pipeline_rows`, now)
		want := map[string]string{
			fmt.Sprintf(`{__name__="up", instance=%q, job="etl", team="data"}`, addr):                               "1",
			fmt.Sprintf(`{__name__="up", instance=%q, job="wrong_token"}`, addr):                                    "0",
			fmt.Sprintf(`{__name__="pipeline_rows", instance=%q, job="etl", pipeline="orders", team="data"}`, addr): "17",
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if now.After(deadline) {
			t.Fatalf("after 15s: got %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPrometheusScrapeConfigRejectsNothingValid(t *testing.T) {
	cfg, err := config.Parse([]byte("scrape_configs:\n  - job_name: a\n    scheme: https\n    basic_auth: {username: u, password: p}\n    static_configs: [{targets: ['h:1']}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := prometheusScrapeConfig(cfg.ScrapeConfigs)
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.ScrapeConfigs) != 1 || pc.ScrapeConfigs[0].Scheme != "https" || pc.ScrapeConfigs[0].HTTPClientConfig.BasicAuth.Username != "u" {
		t.Fatalf("converted config: %+v", pc.ScrapeConfigs[0])
	}
}
