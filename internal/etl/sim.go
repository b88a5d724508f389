package etl

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/state"
)

// Defaults of SimOptions.
const (
	DefaultSimPipelines = 50
	DefaultSimDays      = 7
	DefaultSimAgents    = 6
	DefaultSimSlots     = 4
)

// maxStepsPerInstant bounds the rounds of ticks and agent steps at one
// simulated instant; each round reacts to the last (a report queues a
// downstream task, which an agent claims), and they stop when nothing
// happens. Reaching the bound means the runtime does not settle: a bug.
const maxStepsPerInstant = 100

// SimOptions configures Simulate. Zero values take the defaults.
type SimOptions struct {
	// Pipelines is the size of the generated fleet (see GenerateFleet).
	Pipelines int
	// Days is how long to simulate.
	Days int
	// Seed determines the fleet, the attempts' durations, volumes and
	// failures: the same seed gives the same runs, byte for byte.
	Seed int64
	// Agents is the number of embedded agents, each with Slots slots,
	// 8 cores and 32 GiB of memory.
	Agents int
	Slots  int
	// Start is the simulated start; zero means 2030-01-07T00:00:00Z, a
	// Monday.
	Start time.Time
	// Dir is where the SQLite state goes; empty means a temporary
	// directory, removed at the end.
	Dir string
	// Model shapes the attempts; its Seed is replaced by Seed.
	Model agent.SimModel
	// Wrap, when set, is called once with the simulated clock, the runner
	// the agents would get and the controller, and returns the runner and
	// the controller the agents use instead: this is how fault injection
	// (chaos.Injector.Wrap) reaches the simulation.
	Wrap func(c clock.Clock, runner agent.Modeller, ctrl agent.Controller) (agent.Runner, agent.Controller)
	// Logger, Samples, Events, Attempts, Freshness and Deadlines are
	// given to the controller.
	Logger    *slog.Logger
	Samples   SampleWriter
	Events    EventSink
	Attempts  AttemptSink
	Freshness FreshnessSink
	Deadlines DeadlineSink
	// Step, when set, is called at every simulated instant once the
	// controller and the agents have settled, with the simulated time: an
	// observer keeps its own clock with it.
	Step func(now time.Time)
}

// SimResult sums up a simulation.
type SimResult struct {
	Pipelines int
	// LineageDepth is the longest chain of pipelines in the fleet.
	LineageDepth int
	Runs         int
	RunsByState  map[state.RunState]int
	Tasks        int
	TasksByState map[state.TaskState]int
	// Attempts counts task attempts, retries and re-dispatches included.
	Attempts int
	// Steps counts the instants the simulation stopped at.
	Steps int
	// Simulated is the simulated span.
	Simulated time.Duration
	// Digest is the SHA-256, in hex, of every run and task record in ID
	// order: equal digests mean identical simulations.
	Digest string
}

// Simulate generates a fleet and runs it for opts.Days on a simulated clock
// through the same controller and embedded agent pool the real runtime
// uses, with agent.SimRunner making up the attempts and the state in a
// SQLite file opened without fsync. It is deterministic: no goroutine runs,
// the clock jumps from one event (a schedule slot, an attempt's end, a
// backoff, a heartbeat) to the next, and every choice is ordered.
func Simulate(ctx context.Context, opts SimOptions) (_ SimResult, err error) {
	setDefault(&opts.Pipelines, DefaultSimPipelines)
	setDefault(&opts.Days, DefaultSimDays)
	setDefault(&opts.Agents, DefaultSimAgents)
	setDefault(&opts.Slots, DefaultSimSlots)
	if opts.Start.IsZero() {
		opts.Start = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	fleet, err := GenerateFleet(opts.Pipelines, opts.Seed)
	if err != nil {
		return SimResult{}, fmt.Errorf("simulate: %w", err)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vigil-sim-"); err != nil {
			return SimResult{}, fmt.Errorf("simulate: %w", err)
		}
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil {
				err = errors.Join(err, fmt.Errorf("simulate: remove state directory: %w", rerr))
			}
		}()
	}
	store, err := state.Open(ctx, state.Options{DataDir: dir, NoSync: true, Logger: opts.Logger})
	if err != nil {
		return SimResult{}, fmt.Errorf("simulate: %w", err)
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("simulate: %w", cerr))
		}
	}()

	sim := clock.NewSim(opts.Start)
	ctrl, err := New(Options{
		Store: store, Clock: sim, Fleet: fleet, Logger: opts.Logger,
		Samples: opts.Samples, Events: opts.Events, Attempts: opts.Attempts, Freshness: opts.Freshness, Deadlines: opts.Deadlines,
		Lease: 5 * time.Minute, AgentTimeout: 10 * time.Minute, MetricsEvery: 5 * time.Minute,
	})
	if err != nil {
		return SimResult{}, fmt.Errorf("simulate: %w", err)
	}
	model := opts.Model
	model.Seed = opts.Seed
	sr := agent.NewSimRunner(model, sim)
	var (
		runner agent.Runner     = sr
		view   agent.Controller = ctrl
	)
	if opts.Wrap != nil {
		runner, view = opts.Wrap(sim, sr, ctrl)
	}
	pool, err := agent.NewPool(agent.PoolOptions{
		Size:           opts.Agents,
		Capacity:       agent.Capacity{Slots: opts.Slots, CPU: 8, Memory: 32 << 30},
		Controller:     view,
		Runner:         runner,
		Clock:          sim,
		HeartbeatEvery: time.Minute,
		Logger:         opts.Logger,
	})
	if err != nil {
		return SimResult{}, fmt.Errorf("simulate: %w", err)
	}

	res := SimResult{Pipelines: opts.Pipelines, LineageDepth: fleet.Graph().MaxDepth()}
	end := opts.Start.Add(time.Duration(opts.Days) * 24 * time.Hour)
	for {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("simulate: %w", err)
		}
		if err := settle(ctx, ctrl, pool); err != nil {
			return res, fmt.Errorf("simulate at %s: %w", sim.Now().Format(time.RFC3339), err)
		}
		res.Steps++
		if opts.Step != nil {
			opts.Step(sim.Now())
		}
		next, err := nextEvent(ctx, ctrl, pool)
		if err != nil {
			return res, fmt.Errorf("simulate: %w", err)
		}
		if next.IsZero() || next.After(end) {
			break
		}
		if !next.After(sim.Now()) {
			return res, fmt.Errorf("simulate at %s: the next event, at %s, is not in the future",
				sim.Now().Format(time.RFC3339), next.Format(time.RFC3339Nano))
		}
		sim.Set(next)
	}
	res.Simulated = end.Sub(opts.Start)
	if err := summarize(ctx, store, &res); err != nil {
		return res, fmt.Errorf("simulate: %w", err)
	}
	return res, nil
}

// settle ticks the controller and steps the agents at the current instant
// until neither has anything left to do.
func settle(ctx context.Context, ctrl *Controller, pool *agent.Pool) error {
	for range maxStepsPerInstant {
		if err := ctrl.Tick(ctx); err != nil {
			return err
		}
		n, err := pool.Step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
	return fmt.Errorf("the runtime did not settle in %d rounds", maxStepsPerInstant)
}

// nextEvent returns the earliest time at which the controller or an agent
// has something to do.
func nextEvent(ctx context.Context, ctrl *Controller, pool *agent.Pool) (time.Time, error) {
	next, err := ctrl.NextWake(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if w, ok := pool.NextWake(); ok && (next.IsZero() || w.Before(next)) {
		next = w
	}
	return next, nil
}

// summarize counts the runs, tasks and attempts in the store and digests
// their records.
func summarize(ctx context.Context, store *state.Store, res *SimResult) error {
	const all = 1 << 30
	e := store.ETL()
	runs, err := e.ListRuns(ctx, state.RunFilter{Limit: all})
	if err != nil {
		return err
	}
	tasks, err := e.ListTasks(ctx, state.TaskFilter{Limit: all})
	if err != nil {
		return err
	}
	slices.SortFunc(runs, func(a, b state.Run) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(tasks, func(a, b state.TaskInstance) int {
		return cmp.Or(strings.Compare(a.RunID, b.RunID), cmp.Compare(a.Position, b.Position))
	})
	res.Runs, res.Tasks = len(runs), len(tasks)
	res.RunsByState = make(map[state.RunState]int)
	res.TasksByState = make(map[state.TaskState]int)
	h := sha256.New()
	for _, r := range runs {
		res.RunsByState[r.State]++
		writeRecord(h, "run", r.ID, r.Pipeline, r.LogicalTime, r.Trigger, r.State, r.Created, r.Started, r.Ended, r.Error)
	}
	for _, t := range tasks {
		res.TasksByState[t.State]++
		res.Attempts += t.Attempt
		writeRecord(h, "task", t.RunID, t.Task, t.Pipeline, t.Position, t.State, t.Attempt, t.FirstAttempt, t.Lost,
			t.Agent, t.LeaseUntil, t.NotBefore, t.Deadline, t.Queued, t.Started, t.Ended,
			t.RowsIn, t.RowsOut, t.Bytes, t.CPU, t.Wall, t.PeakMemory, t.Error, t.ErrorClass)
	}
	res.Digest = hex.EncodeToString(h.Sum(nil))
	return nil
}

// writeRecord writes one record to w as a line of tab-separated fields,
// times as Unix microseconds.
func writeRecord(w io.Writer, fields ...any) {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		switch v := f.(type) {
		case time.Time:
			if !v.IsZero() {
				fmt.Fprint(&b, v.UnixMicro())
			}
		case string:
			b.WriteString(strings.NewReplacer("\t", `\t`, "\n", `\n`).Replace(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}
