package etl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

// Defaults of Options.
const (
	DefaultLease           = time.Minute
	DefaultAgentTimeout    = 3 * time.Minute
	DefaultTimeoutGrace    = 30 * time.Second
	DefaultScheduleGrace   = time.Minute
	DefaultCatchupLimit    = 50
	DefaultMaxLostAttempts = 3
	DefaultMaxLogLines     = 200
	DefaultTickEvery       = 5 * time.Second
	DefaultMetricsEvery    = time.Minute

	DefaultLineageNamespace = "vigil"
)

// Options configures a Controller. Zero durations and limits take the
// defaults above.
type Options struct {
	// Store holds the runtime's state; required.
	Store *state.Store
	// Clock is the time source; nil means the wall clock.
	Clock clock.Clock
	// Fleet is the validated set of pipelines; required.
	Fleet *spec.Fleet
	// Logger receives the controller's logs; nil discards them.
	Logger *slog.Logger
	// Samples receives the runtime's metrics; nil drops them.
	Samples SampleWriter
	// Attempts receives a report of every successful attempt; nil drops
	// them.
	Attempts AttemptSink
	// Freshness hears when datasets go stale and fresh again; nil drops
	// it. It is checked every MetricsEvery.
	Freshness FreshnessSink
	// Deadlines hears when running runs are predicted to miss their
	// deadline; nil drops it. It is checked every tick.
	Deadlines DeadlineSink
	// Events receives OpenLineage events of runs and attempts; nil drops
	// them.
	Events EventSink
	// LineageNamespace is the OpenLineage job namespace of the events;
	// empty means DefaultLineageNamespace.
	LineageNamespace string

	// Lease is how long an agent holds an attempt without a heartbeat.
	Lease time.Duration
	// AgentTimeout is how long an agent may go without a heartbeat before
	// it is marked dead and its attempts are dispatched again.
	AgentTimeout time.Duration
	// TimeoutGrace is how long past an attempt's timeout the controller
	// waits for the agent to report the timeout itself before failing the
	// attempt.
	TimeoutGrace time.Duration
	// ScheduleGrace is how late a slot may be noticed and still count as
	// on time, which matters for catch-up none.
	ScheduleGrace time.Duration
	// CatchupLimit bounds the queued runs catch-up all keeps per pipeline;
	// further missed slots are created as those run.
	CatchupLimit int
	// MaxLostAttempts is how many attempts of a task may lose their lease
	// before the task fails: a task that keeps killing its agent must not
	// be dispatched forever.
	MaxLostAttempts int
	// MaxLogLines bounds the log lines kept per attempt; the first and the
	// last half are kept.
	MaxLogLines int
	// TickEvery is how often Run ticks.
	TickEvery time.Duration
	// MetricsEvery is how often Tick writes the gauges that are not tied
	// to an event: dataset freshness and agent utilization.
	MetricsEvery time.Duration
}

// Controller schedules, dispatches and records pipeline runs. It is safe for
// concurrent use; operations take turns.
type Controller struct {
	opts    Options
	store   *state.Store
	clock   clock.Clock
	logger  *slog.Logger
	lineage *lineage.Builder

	mu        sync.Mutex
	loaded    bool
	pipelines []*pipeline // By name.
	byName    map[string]*pipeline
	runs      map[string]*run // Active runs by ID.
	agents    map[string]*agentState
	circuits  map[string]state.Circuit // Open circuits by endpoint.
	datasets  map[string]*dataset
	counters  counters
	lastGauge time.Time
	// durations learns each task's typical duration, and predicted holds
	// the runs predicted to miss their deadline (see deadline.go).
	durations map[string]*durationModel
	predicted map[string]bool
}

// New returns a controller for opts.Fleet. It reads nothing until the
// first operation, which loads the working set from the store.
func New(opts Options) (*Controller, error) {
	if opts.Store == nil || opts.Fleet == nil {
		return nil, errors.New("new etl controller: a state store and a fleet are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&opts.Lease, DefaultLease)
	setDefault(&opts.AgentTimeout, DefaultAgentTimeout)
	setDefault(&opts.TimeoutGrace, DefaultTimeoutGrace)
	setDefault(&opts.ScheduleGrace, DefaultScheduleGrace)
	setDefault(&opts.CatchupLimit, DefaultCatchupLimit)
	setDefault(&opts.MaxLostAttempts, DefaultMaxLostAttempts)
	setDefault(&opts.MaxLogLines, DefaultMaxLogLines)
	setDefault(&opts.TickEvery, DefaultTickEvery)
	setDefault(&opts.MetricsEvery, DefaultMetricsEvery)
	if opts.LineageNamespace == "" {
		opts.LineageNamespace = DefaultLineageNamespace
	}
	lb, err := lineage.NewBuilder(opts.LineageNamespace, "")
	if err != nil {
		return nil, fmt.Errorf("new etl controller: %w", err)
	}
	c := &Controller{
		lineage:   lb,
		opts:      opts,
		store:     opts.Store,
		clock:     opts.Clock,
		logger:    opts.Logger,
		byName:    make(map[string]*pipeline),
		durations: map[string]*durationModel{},
		predicted: map[string]bool{},
	}
	for _, ps := range opts.Fleet.Pipelines() {
		g, err := newDAG(ps)
		if err != nil {
			return nil, fmt.Errorf("new etl controller: %w", err)
		}
		p := &pipeline{spec: ps, dag: g, upstream: ps.Schedule.Upstream()}
		c.pipelines = append(c.pipelines, p)
		c.byName[ps.Name] = p
	}
	slices.SortFunc(c.pipelines, func(a, b *pipeline) int { return compareStrings(a.spec.Name, b.spec.Name) })
	return c, nil
}

// setDefault sets *v to def if it is zero or negative.
func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// compareStrings is strings.Compare, named for sort callbacks.
func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// now returns the clock's time in UTC, to the microsecond, the precision
// of the store, so that the working set holds exactly what a reload reads.
func (c *Controller) now() time.Time {
	return c.clock.Now().UTC().Truncate(time.Microsecond)
}

// NextWake returns the earliest time after now at which Tick would have
// work that no agent's call brings sooner: a schedule slot, the end of a
// backoff, a lease or timeout running out, an agent missing its heartbeats,
// gauges falling due. It returns the zero time if there is none. A
// simulation advances its clock to it.
func (c *Controller) NextWake(ctx context.Context) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx); err != nil {
		return time.Time{}, err
	}
	now := c.now()
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, p := range c.pipelines {
		if !p.st.Paused {
			consider(p.st.NextSlot)
		}
	}
	c.forEachTask(func(t *task) {
		switch t.rec.State {
		case state.TaskQueued:
			consider(t.rec.NotBefore)
		case state.TaskRunning:
			// Expiry happens once the time is strictly past.
			consider(t.rec.LeaseUntil.Add(time.Microsecond))
			consider(t.rec.Deadline.Add(c.opts.TimeoutGrace + time.Microsecond))
		}
	})
	for _, a := range c.agents {
		if a.rec.State == state.AgentAlive {
			consider(a.rec.LastHeartbeat.Add(c.opts.AgentTimeout + time.Microsecond))
		}
	}
	if c.opts.Samples != nil {
		consider(c.lastGauge.Add(c.opts.MetricsEvery))
	}
	return next, nil
}

// Run ticks every TickEvery until ctx ends. Failed ticks are logged and
// retried at the next one.
func (c *Controller) Run(ctx context.Context) error {
	timer := c.clock.NewTimer(0)
	defer timer.Stop()
	var lastErr time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		}
		if err := c.Tick(ctx); err != nil && ctx.Err() == nil {
			// A store outage fails every tick; say so once a minute.
			if now := c.now(); now.Sub(lastErr) >= time.Minute {
				c.logger.Error("etl controller tick failed", "err", err)
				lastErr = now
			}
		}
		timer.Reset(c.opts.TickEvery)
	}
}

// Tick does the controller's periodic work at the clock's current time:
// dead agents, lapsed leases and timeouts, due schedule slots and after:
// triggers, max_active_runs admission and DAG resolution. Everything it
// changes is written in one transaction.
func (c *Controller) Tick(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx); err != nil {
		return err
	}
	now := c.now()
	b := newBatch()
	c.expireAgents(b, now)
	c.expireAttempts(b, now)
	if err := c.schedule(ctx, b, now); err != nil {
		return err
	}
	if err := c.trigger(ctx, b, now); err != nil {
		return err
	}
	for _, p := range c.pipelines {
		for _, r := range slices.Clone(p.active) {
			c.resolve(b, r, now)
		}
		c.admit(b, p, now)
	}
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("tick: %w", err)
	}
	c.writeGauges(now)
	c.predictDeadlines(now)
	return nil
}
