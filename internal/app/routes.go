package app

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"

	"gopkg.in/yaml.v3"

	"github.com/vigil-aiops/vigil/internal/api"
	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/demo"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/series"
	"github.com/vigil-aiops/vigil/internal/series/otlp"
	"github.com/vigil-aiops/vigil/internal/ui"
)

// routes lists every endpoint with the role it needs: reads need viewer,
// ingestion and other writes operator, administration admin. Health probes
// are public so that orchestrators can use them without a token.
func (a *App) routes(cfg config.Config) []api.Route {
	b := a.opts.Build
	promAPI := a.series.APIHandler(series.BuildInfo{
		Version: b.Version, Revision: b.Revision, Branch: b.Branch,
		BuildUser: b.BuildUser, BuildDate: b.BuildDate, GoVersion: runtime.Version(),
	}, a.reg)
	write := a.series.WriteHandler(series.WriteOptions{
		MaxBodyBytes:    cfg.Ingest.MaxBodyBytes,
		MaxDecodedBytes: cfg.Ingest.MaxDecodedBytes,
		Logger:          a.logger.With("component", "remote_write"),
		Registerer:      a.reg,
	})
	otlpHandler := a.series.OTLPHandler(otlp.Options{
		MaxBodyBytes: cfg.Ingest.MaxBodyBytes,
		Logger:       a.logger.With("component", "otlp"),
		Registerer:   a.reg,
	})
	routes := []api.Route{
		{Pattern: "/-/healthy", Name: "healthy", Handler: http.HandlerFunc(healthy)},
		{Pattern: "/-/ready", Name: "ready", Handler: http.HandlerFunc(a.readyHandler)},
		{Pattern: "/-/reload", Name: "reload", Role: config.RoleAdmin, Handler: http.HandlerFunc(a.reloadHandler)},
		{Pattern: "/metrics", Name: "metrics", Role: config.RoleViewer, Handler: a.metricsHandler()},
		{Pattern: "/api/v1/status/config", Name: "config", Role: config.RoleAdmin, Handler: http.HandlerFunc(a.configHandler)},
		// Profiles of the running process, for admins.
		{Pattern: "/debug/pprof/", Name: "pprof", Role: config.RoleAdmin, Handler: http.HandlerFunc(pprof.Index)},
		{Pattern: "/debug/pprof/profile", Name: "pprof", Role: config.RoleAdmin, Handler: http.HandlerFunc(pprof.Profile)},
		{Pattern: "/debug/pprof/trace", Name: "pprof", Role: config.RoleAdmin, Handler: http.HandlerFunc(pprof.Trace)},
		{Pattern: "/api/v1/write", Name: "remote_write", Role: config.RoleOperator, Handler: write, Ingest: true},
		{Pattern: "/v1/metrics", Name: "otlp_metrics", Role: config.RoleOperator, Handler: otlpHandler, Ingest: true},
		{Pattern: "/api/v1/", Name: "prometheus_api", Role: config.RoleViewer, Handler: promAPI},
	}
	// OpenLineage events from Airflow, Dagster, Spark or dbt are accepted
	// whether or not Vigil runs pipelines itself.
	routes = append(routes, api.Route{Pattern: "/api/v1/lineage", Name: "openlineage", Role: config.RoleOperator, Ingest: true,
		Handler: lineage.NewHandler(etl.LineageRecorder{Store: a.state}, lineage.Options{
			MaxBodyBytes: min(cfg.Ingest.MaxBodyBytes, lineage.DefaultMaxBodyBytes),
			Logger:       a.logger.With("component", "lineage"),
			Registerer:   a.reg,
		})})
	routes = append(routes, a.incidents.routes()...)
	if a.signals != nil {
		routes = append(routes, api.Route{Pattern: "GET /api/v1/signals", Name: "signals", Role: config.RoleViewer, Handler: a.signals})
	}
	if cfg.ETL.DemoShop {
		shop := a.opts.Shop
		if shop == nil {
			shop = &demo.Shop{}
		}
		routes = append(routes, api.Route{Pattern: "GET /demo/orders", Name: "demo_orders", Handler: shop})
	}
	// The UI's files hold no data, so they need no token; the API calls
	// the pages make carry the user's.
	page := ui.Handler()
	routes = append(routes,
		api.Route{Pattern: "GET /{$}", Name: "ui", Handler: page},
		api.Route{Pattern: "GET /ui/", Name: "ui", Handler: page},
		api.Route{Pattern: "GET /static/", Name: "ui_static", Handler: page},
	)
	return append(routes, a.runtime.routes(a, cfg.Server.MaxRequestBytes)...)
}

func healthy(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Vigil is Healthy.\n"))
}

func (a *App) readyHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	select {
	case <-a.ready:
		_, _ = w.Write([]byte("Vigil is Ready.\n"))
	default:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("Vigil is not ready yet.\n"))
	}
}

func (a *App) reloadHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "reload takes POST or PUT", http.StatusMethodNotAllowed)
		return
	}
	if err := a.Reload(); err != nil {
		http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte("configuration reloaded\n"))
}

// configHandler shows the configuration in force, with secrets redacted,
// in the shape of Prometheus's /api/v1/status/config.
func (a *App) configHandler(w http.ResponseWriter, _ *http.Request) {
	cfg := a.coord.Current()
	out, err := yaml.Marshal(&cfg)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "internal", "error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]string{"yaml": string(out)}})
}
