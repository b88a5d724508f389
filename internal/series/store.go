// Package series is Vigil's time-series layer and the only package that
// imports Prometheus: the embedded TSDB, the PromQL engine, the remote-write
// and OTLP receivers, scraping, the Prometheus-compatible query API, and the
// fan-out through which every accepted sample reaches the engine.
//
// It does not detect, alert or decide anything; it stores, serves and
// forwards. When one machine is not enough, the same interfaces front a
// remote Prometheus-compatible store.
package series

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// Options configure a Store.
type Options struct {
	// Dir is the data directory; the TSDB lives in Dir/series.
	Dir              string
	Retention        time.Duration
	OutOfOrderWindow time.Duration

	QueryTimeout       time.Duration
	QueryMaxSamples    int
	QueryLookbackDelta time.Duration
	QueryMaxConcurrent int

	Limits Limits

	FanoutShards int
	FanoutQueue  int

	// MaxForecastSeries bounds the forecast series held in memory; zero
	// means 10,000.
	MaxForecastSeries int

	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Store is the embedded series store.
type Store struct {
	db      *tsdb.DB
	engine  *promql.Engine
	limits  Limits
	valid   *validSet
	fan     *fanout
	logger  *slog.Logger
	queries chan struct{}
	// forecasts are served next to the TSDB; see SetForecast.
	forecasts *forecasts
	m         *storeMetrics
}

type storeMetrics struct {
	commitErrors prometheus.Counter
}

// ErrBadOptions is returned by Open for options that would make the store
// unusable, such as a zero query timeout.
var ErrBadOptions = errors.New("bad series store options")

// Open opens (or creates) the TSDB and replays its write-ahead log, so
// every sample acknowledged before a crash is queryable again.
func Open(opts Options) (*Store, error) {
	switch {
	case opts.QueryTimeout <= 0, opts.QueryMaxSamples <= 0, opts.QueryLookbackDelta <= 0, opts.QueryMaxConcurrent <= 0:
		return nil, fmt.Errorf("%w: query timeout, max samples, lookback delta and max concurrency must all be positive", ErrBadOptions)
	case opts.FanoutShards <= 0 || opts.FanoutQueue <= 0:
		return nil, fmt.Errorf("%w: fan-out shards and queue must be positive", ErrBadOptions)
	case opts.Retention <= 0:
		return nil, fmt.Errorf("%w: retention must be positive", ErrBadOptions)
	}
	reg := opts.Registerer
	tsdbOpts := tsdb.DefaultOptions()
	tsdbOpts.RetentionDuration = opts.Retention.Milliseconds()
	tsdbOpts.OutOfOrderTimeWindow = opts.OutOfOrderWindow.Milliseconds()
	dir := filepath.Join(opts.Dir, "series")
	db, err := tsdb.Open(dir, opts.Logger.With("component", "tsdb"), prometheus.WrapRegistererWithPrefix("vigil_", reg), tsdbOpts, nil)
	if err != nil {
		return nil, fmt.Errorf("open series store %q: %w", dir, err)
	}
	engine := promql.NewEngine(promql.EngineOpts{
		Logger:               opts.Logger.With("component", "promql"),
		Reg:                  prometheus.WrapRegistererWithPrefix("vigil_", reg),
		MaxSamples:           opts.QueryMaxSamples,
		Timeout:              opts.QueryTimeout,
		LookbackDelta:        opts.QueryLookbackDelta,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})
	m := &storeMetrics{
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_series_commit_errors_total",
			Help: "Appends that failed to commit to the TSDB.",
		}),
	}
	reg.MustRegister(m.commitErrors)
	maxForecasts := opts.MaxForecastSeries
	if maxForecasts <= 0 {
		maxForecasts = 10_000
	}
	return &Store{
		forecasts: &forecasts{series: map[uint64]*forecastSeries{}, max: maxForecasts},
		db:        db,
		engine:    engine,
		limits:    opts.Limits,
		valid:     newValidSet(1 << 20),
		fan:       newFanout(opts.FanoutShards, opts.FanoutQueue, reg),
		logger:    opts.Logger.With("component", "series"),
		queries:   make(chan struct{}, opts.QueryMaxConcurrent),
		m:         m,
	}, nil
}

// Subscribe registers an observer of every committed float sample. Call it
// before Run.
func (s *Store) Subscribe(o Observer) { s.fan.subscribe(o) }

// Run delivers samples to observers until ctx ends.
func (s *Store) Run(ctx context.Context) error {
	s.fan.run(ctx)
	return nil
}

// Close flushes and closes the TSDB.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close series store: %w", err)
	}
	return nil
}

// queryable exposes the TSDB and the forecasts, merged, for PromQL, the
// rules and the API.
func (s *Store) queryable() storage.Queryable { return mergedQueryable{s} }

type mergedQueryable struct{ s *Store }

// Querier implements storage.Queryable.
func (m mergedQueryable) Querier(mint, maxt int64) (storage.Querier, error) {
	q, err := m.s.db.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	fq, _ := m.s.forecasts.Querier(mint, maxt)
	return storage.NewMergeQuerier([]storage.Querier{q, fq}, nil, storage.ChainedSeriesMerge), nil
}
