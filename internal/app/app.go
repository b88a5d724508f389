// Package app wires Vigil's components together and runs them: the one
// place that knows every part, their start order and their stop order.
// Tests run the whole system in-process through New and Run.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/vigil-aiops/vigil/internal/api"
	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/demo"
	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/notify/routing"
	"github.com/vigil-aiops/vigil/internal/remediate"
	"github.com/vigil-aiops/vigil/internal/series"
	"github.com/vigil-aiops/vigil/internal/state"
)

// BuildInfo describes the binary.
type BuildInfo struct {
	Version, Revision, Branch, BuildUser, BuildDate string
}

// Options are what the command line decides.
type Options struct {
	// ConfigFile is optional; without it Vigil runs on defaults.
	ConfigFile string
	// DataDir and Listen override the file when set.
	DataDir string
	Listen  string
	// LogOutput receives the logs; os.Stderr when nil.
	LogOutput io.Writer
	Build     BuildInfo
	// Shop, when set, is the shop API served with etl.demo_shop, so that
	// `vigil demo` can take it down now and then.
	Shop *demo.Shop
}

// App is a running Vigil.
type App struct {
	opts     Options
	logger   *slog.Logger
	logLevel *slog.LevelVar
	reg      *prometheus.Registry
	coord    *config.Coordinator

	series    *series.Store
	scraper   *series.Scraper
	rules     *series.Rules
	runtime   *pipelineRuntime
	engine    *engine.Engine // nil when disabled
	signals   *engine.Recent
	snapshots *engine.Snapshotter
	// forecaster forecasts the configured targets every forecastEvery;
	// nil when disabled.
	forecaster    *engine.Forecaster
	forecastEvery time.Duration
	incidents     *incidents
	state         *state.Store
	api           *api.Server
	listener      net.Listener
	server        *http.Server

	ready chan struct{}
}

// LoadConfig reads the file (or takes the defaults) and applies command-line
// overrides, validating the result.
func LoadConfig(opts Options) (config.Config, error) {
	cfg := config.Default()
	if opts.ConfigFile != "" {
		var err error
		if cfg, err = config.Load(opts.ConfigFile); err != nil {
			return cfg, err
		}
	}
	if opts.DataDir != "" {
		cfg.Storage.DataDir = opts.DataDir
	}
	if opts.Listen != "" {
		cfg.Server.Listen = opts.Listen
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if err := checkParts(cfg); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// automation compiles the remediation policies and gives the incident
// manager's home what it needs to carry out their actions.
func (a *App) automation(cfg config.Config) error {
	rc := cfg.Remediation
	if len(rc.Policies) == 0 {
		return nil
	}
	ps, err := remediate.Compile(policySpecs(rc.Policies))
	if err != nil {
		return err
	}
	if a.runtime == nil {
		return errors.New("remediation: the policies act on pipelines, and no etl.pipelines_dir is configured")
	}
	auto := remediate.New(ps)
	auto.KillSwitch, auto.DryRun = rc.KillSwitch, rc.DryRun
	a.incidents.auto = auto
	ctrl := a.runtime.controller
	a.incidents.retry = func(ctx context.Context, pipeline, who, why string) error {
		runs, err := a.state.ETL().ListRuns(ctx, state.RunFilter{Pipeline: pipeline, States: []state.RunState{state.RunFailed}, Limit: 1})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return fmt.Errorf("no failed run of %s to retry", pipeline)
		}
		return ctrl.RetryRun(ctx, etl.Actor{Who: who, Why: why}, runs[0].ID)
	}
	return nil
}

func policySpecs(pcs []config.PolicyConfig) []remediate.PolicySpec {
	out := make([]remediate.PolicySpec, len(pcs))
	for i, p := range pcs {
		out[i] = remediate.PolicySpec{Name: p.Name, When: p.When, Action: p.Action, Cooldown: p.Cooldown.Std(), MaxPerHour: p.MaxPerHour, DryRun: p.DryRun}
	}
	return out
}

// checkParts validates what the config package cannot, because it lies in
// the components' own languages: the notification routing tree and the
// forecast targets' PromQL. `vigil check-config` and New both run it.
func checkParts(cfg config.Config) error {
	var errs []error
	if r := cfg.Notify.Route; r != nil {
		var names []string
		for _, rc := range cfg.Notify.Receivers {
			names = append(names, rc.Name)
		}
		if len(names) == 0 {
			errs = append(errs, errors.New("notify.route: there are no receivers to route to"))
		} else if _, err := routing.New(routeSpec(*r), names); err != nil {
			errs = append(errs, fmt.Errorf("notify.%w", err))
		}
	}
	if _, err := remediate.Compile(policySpecs(cfg.Remediation.Policies)); err != nil {
		errs = append(errs, err)
	}
	if fc := cfg.Engine.Forecast; cfg.Engine.Enabled && fc.Enabled {
		for i, t := range fc.Targets {
			if err := series.CheckExpr(t.Query); err != nil {
				errs = append(errs, fmt.Errorf("engine.forecast.targets[%d].query %q: %w", i, t.Query, err))
			}
		}
	}
	return errors.Join(errs...)
}

// New opens the stores and binds the listener; Run starts serving. If New
// fails, everything it opened is closed again.
func New(ctx context.Context, opts Options) (_ *App, err error) {
	cfg, err := LoadConfig(opts)
	if err != nil {
		return nil, err
	}
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	a := &App{opts: opts, logLevel: new(slog.LevelVar), reg: prometheus.NewRegistry(), ready: make(chan struct{})}
	a.logger = newLogger(opts.LogOutput, cfg.Log, a.logLevel)
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "vigil_build_info",
		Help:        "Always 1; the labels describe the running binary.",
		ConstLabels: prometheus.Labels{"version": opts.Build.Version, "revision": opts.Build.Revision, "goversion": runtime.Version()},
	}, func() float64 { return 1 }))

	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()

	if err := os.MkdirAll(cfg.Storage.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	a.state, err = state.Open(ctx, state.Options{
		DataDir:     cfg.Storage.DataDir,
		PostgresURL: string(cfg.State.PostgresURL),
		Logger:      a.logger.With("component", "state"),
		Registerer:  a.reg,
	})
	if err != nil {
		return nil, err
	}
	closers = append(closers, a.state.Close)

	a.series, err = series.Open(series.Options{
		Dir:                cfg.Storage.DataDir,
		Retention:          cfg.Storage.Retention.Std(),
		OutOfOrderWindow:   cfg.Storage.OutOfOrderWindow.Std(),
		QueryTimeout:       cfg.Query.Timeout.Std(),
		QueryMaxSamples:    cfg.Query.MaxSamples,
		QueryLookbackDelta: cfg.Query.LookbackDelta.Std(),
		QueryMaxConcurrent: cfg.Query.MaxConcurrent,
		Limits: series.Limits{
			MaxLabelNameLength:  cfg.Ingest.MaxLabelNameLength,
			MaxLabelValueLength: cfg.Ingest.MaxLabelValueLength,
			MaxLabelsPerSeries:  cfg.Ingest.MaxLabelsPerSeries,
			UTF8Names:           cfg.Ingest.NameValidation == "utf8",
		},
		FanoutShards: cfg.Ingest.FanoutShards,
		FanoutQueue:  cfg.Ingest.FanoutQueue,
		Logger:       a.logger, // The store names its parts: tsdb, promql, series.
		Registerer:   a.reg,
	})
	if err != nil {
		return nil, err
	}
	closers = append(closers, a.series.Close)

	a.rules = a.series.NewRules(series.RulesOptions{Interval: cfg.RuleInterval.Std(), Notify: a.ruleAlerts, Logger: a.logger, Registerer: a.reg})

	if a.scraper, err = a.series.NewScraper(a.logger, a.reg); err != nil {
		return nil, err
	}

	if a.runtime, err = a.newRuntime(cfg); err != nil {
		return nil, err
	}

	if a.incidents, err = newIncidents(ctx, a.state, a.runtime, a.logger.With("component", "incident"), a.reg); err != nil {
		return nil, err
	}
	if a.runtime != nil {
		fleet := a.runtime.fleet
		a.incidents.sla = func(name string) time.Duration {
			if p := fleet.Pipeline(name); p != nil {
				return p.SLA.Std()
			}
			return 0
		}
		a.runtime.events.Subscribe(a.incidents.runEvent)
	}
	if err := a.automation(cfg); err != nil {
		return nil, err
	}
	if a.incidents.an, err = newAnnouncer(ctx, cfg.Notify, a.state, a.logger.With("component", "notify"), a.reg); err != nil {
		return nil, err
	}
	if cfg.Engine.Enabled {
		a.signals = engine.NewRecent(1000)
		a.engine = engine.New(engine.Options{
			Writer: a.series.NewSelfWriter("engine", a.reg), Signals: signalFan{a.signals, a.incidents},
			MaxSeries: cfg.Engine.MaxSeries, IdleAfter: cfg.Engine.IdleAfter.Std(),
			Logger: a.logger.With("component", "engine"), Registerer: a.reg,
		})
		a.series.Subscribe(a.engine)
		a.incidents.hold = a.engine.Hold
		// Restore the baselines before any sample reaches the engine.
		a.snapshots = engine.NewSnapshotter(a.engine, a.state.Meta(), "engine/snapshot", cfg.Engine.SnapshotEvery.Std(), a.logger.With("component", "engine"))
		_ = a.snapshots.Load(ctx) // It logs; detectors then start from scratch.
		if fc := cfg.Engine.Forecast; fc.Enabled {
			var targets []engine.ForecastTarget
			for i, t := range fc.Targets {
				if err := series.CheckExpr(t.Query); err != nil {
					return nil, fmt.Errorf("engine.forecast.targets[%d].query %q: %w", i, t.Query, err)
				}
				targets = append(targets, engine.ForecastTarget{Query: t.Query, Limit: t.Limit})
			}
			if a.forecaster, err = engine.NewForecaster(engine.ForecasterOptions{
				Store: a.series, Targets: targets, Step: fc.Step.Std(), History: fc.History.Std(), Horizon: fc.Horizon.Std(),
				MaxSeries: fc.MaxSeries, Signals: signalFan{a.signals, a.incidents},
				Logger: a.logger.With("component", "forecast"), Registerer: a.reg,
			}); err != nil {
				return nil, err
			}
			a.forecastEvery = fc.Interval.Std()
		}
	}

	a.coord = config.NewCoordinator(opts.ConfigFile, cfg, a.logger, a.reg)
	a.api = api.New(api.Options{
		MaxRequestBytes:     cfg.Server.MaxRequestBytes,
		MaxConcurrentIngest: cfg.Ingest.MaxConcurrentRequests,
		Logger:              a.logger,
		Registerer:          a.reg,
	}, cfg.Auth.Tokens, a.routes(cfg))
	if err := a.coord.Subscribe(a.applyConfig); err != nil {
		return nil, err
	}

	a.listener, err = net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	closers = append(closers, a.listener.Close)
	if cfg.Server.TLS.Enabled() {
		cert, err := tls.LoadX509KeyPair(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		a.listener = tls.NewListener(a.listener, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	a.server = &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout.Std(),
		WriteTimeout:      cfg.Server.WriteTimeout.Std(),
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// applyConfig is the reload subscriber: it changes what can change live.
func (a *App) applyConfig(cfg config.Config) error {
	a.logLevel.Set(parseLevel(cfg.Log.Level))
	if a.api != nil {
		a.api.SetTokens(cfg.Auth.Tokens)
	}
	if err := a.scraper.Apply(cfg.ScrapeConfigs); err != nil {
		return err
	}
	if err := a.rules.Apply(cfg.RuleFiles); err != nil {
		return err
	}
	return nil
}

// Reload re-reads the configuration file; on failure the last good
// configuration stays in force.
func (a *App) Reload() error { return a.coord.Reload() }

// Addr is the address the server listens on; useful with port 0.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Ready is closed once the server accepts requests and all components run.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Registry exposes Vigil's own metrics, for tests.
func (a *App) Registry() *prometheus.Registry { return a.reg }

// Series returns the series store, for components and tests.
func (a *App) Series() *series.Store { return a.series }

// State returns the state store, for components and tests.
func (a *App) State() *state.Store { return a.state }

// Run serves until ctx ends, then stops every component in reverse order
// and closes the stores.
func (a *App) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.series.Run(gctx) })
	g.Go(func() error { return a.scraper.Run(gctx) })
	g.Go(func() error { return a.rules.Run(gctx) })
	a.runtime.run(gctx, g.Go)
	g.Go(func() error { return a.incidents.run(gctx) })
	if a.incidents.an != nil {
		g.Go(func() error { return a.incidents.an.delivery.Run(gctx) })
	}
	if a.engine != nil {
		g.Go(func() error { return a.snapshots.Run(gctx) })
		if a.forecaster != nil {
			g.Go(func() error { a.forecaster.Run(gctx, a.forecastEvery); return nil })
		}
		g.Go(func() error {
			for {
				select {
				case <-gctx.Done():
					return nil
				case <-time.After(time.Minute):
					a.engine.Reclaim(time.Now())
				}
			}
		})
	}
	g.Go(func() error {
		err := a.server.Serve(a.listener)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve HTTP: %w", err)
	})
	g.Go(func() error {
		<-gctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 10*time.Second)
		defer cancel()
		return a.server.Shutdown(shutdownCtx)
	})
	close(a.ready)
	a.logger.Info("Vigil is ready", "listen", a.Addr(), "data_dir", a.coord.Current().Storage.DataDir, "version", a.opts.Build.Version)
	runErr := g.Wait()
	closeErr := errors.Join(a.series.Close(), a.state.Close())
	a.logger.Info("Vigil stopped")
	return errors.Join(runErr, closeErr)
}

func newLogger(w io.Writer, cfg config.Log, level *slog.LevelVar) *slog.Logger {
	level.Set(parseLevel(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// metricsHandler serves Vigil's own metrics.
func (a *App) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg, EnableOpenMetrics: true})
}

// signalFan hands each Signal to every sink.
type signalFan []engine.SignalSink

// Signal implements engine.SignalSink.
func (f signalFan) Signal(s engine.Signal) {
	for _, sink := range f {
		sink.Signal(s)
	}
}

// ruleAlerts hands the alerts of PromQL rules to the incident manager.
func (a *App) ruleAlerts(alerts []series.RuleAlert) {
	if a.incidents == nil {
		return
	}
	for _, ra := range alerts {
		a.incidents.rule(ra)
	}
}
