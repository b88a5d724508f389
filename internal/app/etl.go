package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-aiops/vigil/internal/api"
	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/etl/task"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/lineage/forward"
)

// pipelineRuntime is the pipeline runtime of one Vigil: the controller, the
// in-process agents and the connectors they share.
type pipelineRuntime struct {
	fleet      *spec.Fleet
	controller *etl.Controller
	pool       *agent.Pool        // nil with no in-process agents
	forwarder  *forward.Forwarder // nil without an OpenLineage URL
	// events carries the runtime's OpenLineage events to their consumers.
	events *lineage.Bus
}

// newRuntime loads the pipelines and builds the controller and the
// in-process agents. It returns nil when no pipelines directory is set.
func (a *App) newRuntime(cfg config.Config) (*pipelineRuntime, error) {
	if cfg.ETL.PipelinesDir == "" {
		return nil, nil
	}
	workDir := cfg.ETL.WorkDir
	if workDir == "" {
		workDir = filepath.Join(cfg.Storage.DataDir, "etl")
	}
	if err := os.MkdirAll(workDir, 0o750); err != nil {
		return nil, fmt.Errorf("create ETL work dir: %w", err)
	}
	reg := connector.NewRegistry(connector.Options{BaseDir: workDir})
	fleet, err := spec.LoadDir(cfg.ETL.PipelinesDir, spec.WithConnectors(reg.Kinds()...))
	if err != nil {
		return nil, fmt.Errorf("load pipelines from %s: %w", cfg.ETL.PipelinesDir, err)
	}
	logger := a.logger.With("component", "etl")
	bus := &lineage.Bus{}
	var fwd *forward.Forwarder
	if cfg.ETL.OpenLineageURL != "" {
		fwd = forward.New(forward.Options{URL: cfg.ETL.OpenLineageURL, APIKey: string(cfg.ETL.OpenLineageAPIKey),
			Outbox: a.state.Outbox(), Logger: a.logger.With("component", "lineage"), Registerer: a.reg})
		bus.Subscribe(fwd.Emit)
	}
	ctrl, err := etl.New(etl.Options{
		Store:            a.state,
		Clock:            clock.Real{},
		Fleet:            fleet,
		Logger:           logger,
		Samples:          a.series.NewSelfWriter("etl", a.reg),
		Attempts:         attemptSink{a},
		Freshness:        freshnessSink{a},
		Deadlines:        deadlineSink{a},
		Events:           bus,
		LineageNamespace: cfg.ETL.LineageNamespace,
		Lease:            cfg.ETL.Lease.Std(),
		AgentTimeout:     cfg.ETL.AgentTimeout.Std(),
		MetricsEvery:     cfg.ETL.MetricsInterval.Std(),
		// The gauges and freshness checks happen on ticks.
		TickEvery: min(etl.DefaultTickEvery, cfg.ETL.MetricsInterval.Std()),
	})
	if err != nil {
		return nil, err
	}
	rt := &pipelineRuntime{fleet: fleet, controller: ctrl, forwarder: fwd, events: bus}
	if cfg.ETL.Agents > 0 {
		rt.pool, err = agent.NewPool(agent.PoolOptions{
			Size:       cfg.ETL.Agents,
			Capacity:   agent.Capacity{Slots: cfg.ETL.Slots},
			Controller: ctrl,
			Runner:     task.New(reg, logger, nil),
			Clock:      clock.Real{},
			Logger:     logger,
		})
		if err != nil {
			return nil, err
		}
	}
	logger.Info("pipelines loaded", "dir", cfg.ETL.PipelinesDir, "pipelines", len(fleet.Pipelines()), "agents", cfg.ETL.Agents, "work_dir", workDir)
	return rt, nil
}

// routes returns the runtime's API; without a runtime, the read side that
// shows the runs OpenLineage reported.
func (rt *pipelineRuntime) routes(a *App, maxBody int64) []api.Route {
	if rt == nil {
		return api.ETLRoutes(api.ETL{Store: a.state}, maxBody)
	}
	return api.ETLRoutes(api.ETL{Controller: rt.controller, Store: a.state, Fleet: rt.fleet, Pool: rt.pool}, maxBody)
}

// run runs the controller and the agents until ctx ends.
func (rt *pipelineRuntime) run(ctx context.Context, start func(func() error)) {
	if rt == nil {
		return
	}
	start(func() error { return rt.controller.Run(ctx) })
	if rt.pool != nil {
		start(func() error { return rt.pool.Run(ctx) })
	}
	if rt.forwarder != nil {
		start(func() error { return rt.forwarder.Run(ctx) })
	}
}

// attemptSink hands the runtime's successful attempts to the detection
// engine, which New creates after the runtime and before either runs.
type attemptSink struct{ a *App }

// Attempt implements etl.AttemptSink.
func (s attemptSink) Attempt(r etl.AttemptReport) {
	if s.a.engine == nil {
		return
	}
	s.a.engine.ObserveTask(engine.TaskRun{Pipeline: r.Pipeline, Task: r.Task, At: r.Ended,
		Duration: r.Duration, QueueWait: r.QueueWait, CPU: r.CPU, RowsIn: r.RowsIn, RowsOut: r.RowsOut, Bytes: r.Bytes})
}

// freshnessSink hands the runtime's stale and fresh-again datasets to the
// incident manager, which New creates after the runtime.
type freshnessSink struct{ a *App }

// Freshness implements etl.FreshnessSink.
func (s freshnessSink) Freshness(r etl.FreshnessReport) {
	if s.a.incidents != nil {
		s.a.incidents.freshness(r)
	}
}

// deadlineSink hands the runtime's deadline predictions to the incident
// manager.
type deadlineSink struct{ a *App }

// Deadline implements etl.DeadlineSink.
func (s deadlineSink) Deadline(r etl.DeadlineReport) {
	if s.a.incidents != nil {
		s.a.incidents.deadline(r)
	}
}
