package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Defaults of Options.
const (
	DefaultHeartbeatEvery = 10 * time.Second
	DefaultPollEvery      = time.Second
)

// errorLogEvery throttles the logging of failed steps, which repeat every
// poll while the controller is unreachable.
const errorLogEvery = time.Minute

// Options configures an Agent.
type Options struct {
	// ID names the agent; it must be unique among the controller's agents.
	ID         string
	Capacity   Capacity
	Controller Controller
	Runner     Runner
	// Clock is the agent's time source; nil means the wall clock.
	Clock clock.Clock
	// HeartbeatEvery is how often Step heartbeats; it should be well
	// below the controller's lease. Zero means DefaultHeartbeatEvery.
	HeartbeatEvery time.Duration
	// PollEvery is how often Run steps when nothing wakes it earlier.
	// Zero means DefaultPollEvery.
	PollEvery time.Duration
	// Logger receives the agent's logs; nil discards them.
	Logger *slog.Logger
}

// attempt is an attempt the agent holds.
type attempt struct {
	asg     Assignment
	started time.Time
	// modelled attempts complete at due with result; the others run on a
	// goroutine, which sets result and done.
	modelled bool
	due      time.Time
	cancel   context.CancelFunc
	done     bool
	result   Result
	// abandoned attempts are no longer the agent's: their result is
	// dropped instead of reported.
	abandoned bool
}

// Agent runs task attempts for a controller. It is safe for concurrent
// use, though Step and Run must not run at the same time.
type Agent struct {
	opts     Options
	clock    clock.Clock
	logger   *slog.Logger
	modeller Modeller

	base context.Context // Parent of the attempts' contexts; ended by Close.
	stop context.CancelFunc
	wg   sync.WaitGroup
	wake chan struct{} // Signalled when a running attempt finishes.

	mu            sync.Mutex
	capacity      Capacity
	running       map[AttemptRef]*attempt
	lastHeartbeat time.Time
	draining      bool
	lastErrLog    time.Time
}

// New returns an agent. It does nothing until Step or Run is called.
func New(opts Options) (*Agent, error) {
	if opts.ID == "" || opts.Controller == nil || opts.Runner == nil {
		return nil, errors.New("new agent: ID, controller and runner must be set")
	}
	if opts.Capacity.Slots < 0 || opts.Capacity.CPU < 0 || opts.Capacity.Memory < 0 {
		return nil, fmt.Errorf("new agent %s: negative capacity %+v", opts.ID, opts.Capacity)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.HeartbeatEvery <= 0 {
		opts.HeartbeatEvery = DefaultHeartbeatEvery
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = DefaultPollEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	base, stop := context.WithCancel(context.Background())
	a := &Agent{
		opts:     opts,
		clock:    opts.Clock,
		logger:   opts.Logger.With("agent", opts.ID),
		base:     base,
		stop:     stop,
		wake:     make(chan struct{}, 1),
		capacity: opts.Capacity,
		running:  make(map[AttemptRef]*attempt),
	}
	a.modeller, _ = opts.Runner.(Modeller)
	return a, nil
}

// ID returns the agent's ID.
func (a *Agent) ID() string { return a.opts.ID }

// Capacity returns the agent's total capacity.
func (a *Agent) Capacity() Capacity {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.capacity
}

// SetCapacity changes the agent's total capacity. Attempts running beyond
// a reduced capacity finish; no new ones are claimed until they fit.
func (a *Agent) SetCapacity(c Capacity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.capacity = c
}

// Drain stops the agent from claiming work; it finishes and reports what it
// holds. Drained reports when it is done.
func (a *Agent) Drain() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.draining = true
}

// Drained reports whether the agent is draining and holds no attempt.
func (a *Agent) Drained() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.draining && len(a.running) == 0
}

// Running returns the attempts the agent holds, in reference order.
func (a *Agent) Running() []AttemptRef {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refs()
}

// NextWake returns when the agent next has something to do on its own: a
// modelled attempt completes or a heartbeat is due. Before the first
// heartbeat it returns a time long past, meaning at once.
func (a *Agent) NextWake() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.lastHeartbeat.Add(a.opts.HeartbeatEvery)
	for _, at := range a.running {
		if at.modelled && at.due.Before(next) {
			next = at.due
		}
	}
	return next
}

// Step reports the attempts that have finished, heartbeats if one is due,
// and claims work for the free capacity, in that order. It returns the
// number of reports and claims made, so that a driver can tell whether
// anything happened. Errors of one part do not stop the others; they are
// joined.
func (a *Agent) Step(ctx context.Context) (int, error) {
	n, errReport := a.report(ctx)
	errHeartbeat := a.heartbeat(ctx, false)
	claimed, errClaim := a.claim(ctx)
	return n + claimed, errors.Join(errReport, errHeartbeat, errClaim)
}

// report reports every finished attempt, earliest finish first.
func (a *Agent) report(ctx context.Context) (int, error) {
	now := a.clock.Now()
	type finished struct {
		ref AttemptRef
		at  *attempt
	}
	var due []finished
	a.mu.Lock()
	for ref, at := range a.running {
		switch {
		case at.abandoned && (at.modelled || at.done):
			delete(a.running, ref)
		case at.modelled && !at.due.After(now), at.done:
			due = append(due, finished{ref, at})
		}
	}
	a.mu.Unlock()
	slices.SortFunc(due, func(x, y finished) int {
		if x.at.modelled && y.at.modelled {
			return cmp.Or(x.at.due.Compare(y.at.due), x.ref.Compare(y.ref))
		}
		return x.ref.Compare(y.ref)
	})
	var errs []error
	n := 0
	for _, f := range due {
		err := a.opts.Controller.Report(ctx, a.opts.ID, f.ref, f.at.result)
		if err != nil && !errors.Is(err, ErrRejected) {
			errs = append(errs, fmt.Errorf("report attempt %d of %s/%s: %w", f.ref.Attempt, f.ref.RunID, f.ref.Task, err))
			continue // Reported again at the next step.
		}
		if err != nil {
			a.logger.Info("report rejected", "run", f.ref.RunID, "task", f.ref.Task, "attempt", f.ref.Attempt, "err", err)
		}
		n++
		a.mu.Lock()
		delete(a.running, f.ref)
		a.mu.Unlock()
	}
	return n, a.throttle(errors.Join(errs...))
}

// heartbeat heartbeats if one is due, or always if force is set, and
// abandons the attempts the controller disowns.
func (a *Agent) heartbeat(ctx context.Context, force bool) error {
	now := a.clock.Now()
	a.mu.Lock()
	if !force && !a.lastHeartbeat.IsZero() && now.Sub(a.lastHeartbeat) < a.opts.HeartbeatEvery {
		a.mu.Unlock()
		return nil
	}
	total, refs := a.capacity, a.refs()
	a.mu.Unlock()
	abandon, err := a.opts.Controller.Heartbeat(ctx, a.opts.ID, total, refs)
	if err != nil {
		return a.throttle(fmt.Errorf("heartbeat: %w", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastHeartbeat = now
	for _, ref := range abandon {
		if at, ok := a.running[ref]; ok && !at.abandoned {
			a.logger.Info("abandoning attempt", "run", ref.RunID, "task", ref.Task, "attempt", ref.Attempt)
			at.abandoned = true
			if at.cancel != nil {
				at.cancel()
			}
		}
	}
	return nil
}

// claim claims work for the free capacity and starts it.
func (a *Agent) claim(ctx context.Context) (int, error) {
	a.mu.Lock()
	free := a.free()
	draining := a.draining
	a.mu.Unlock()
	if draining || free.Slots <= 0 {
		return 0, nil
	}
	asgs, err := a.opts.Controller.Claim(ctx, a.opts.ID, free)
	if err != nil {
		return 0, a.throttle(fmt.Errorf("claim: %w", err))
	}
	now := a.clock.Now()
	for _, asg := range asgs {
		a.start(asg, now)
	}
	return len(asgs), nil
}

// free returns the capacity not taken by held attempts. The caller holds
// a.mu.
func (a *Agent) free() Capacity {
	free := a.capacity
	for _, at := range a.running {
		free.Slots--
		free.CPU -= at.asg.Spec.Resources.CPU
		free.Memory -= int64(at.asg.Spec.Resources.Memory)
	}
	if a.capacity.CPU == 0 {
		free.CPU = 0
	}
	if a.capacity.Memory == 0 {
		free.Memory = 0
	}
	return free
}

// start begins an attempt: modelled attempts are scheduled on the clock,
// others run on a goroutine under the attempt's timeout.
func (a *Agent) start(asg Assignment, now time.Time) {
	at := &attempt{asg: asg, started: now}
	if a.modeller != nil {
		d, res := a.modeller.Model(asg)
		if asg.Timeout > 0 && d > asg.Timeout {
			d, res = asg.Timeout, timedOut(asg, res, d)
		}
		res.Wall = d
		at.modelled, at.due, at.result = true, now.Add(d), res
		a.mu.Lock()
		a.running[asg.AttemptRef] = at
		a.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(a.base)
	if asg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(a.base, asg.Timeout)
	}
	at.cancel = cancel
	a.mu.Lock()
	a.running[asg.AttemptRef] = at
	a.mu.Unlock()
	a.wg.Go(func() {
		defer cancel()
		res := a.opts.Runner.Run(ctx, asg)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && res.Class != spec.ClassTimeout {
			res = timedOut(asg, res, asg.Timeout)
		}
		if res.Wall == 0 {
			res.Wall = a.clock.Now().Sub(at.started)
		}
		a.mu.Lock()
		at.result, at.done = res, true
		a.mu.Unlock()
		select {
		case a.wake <- struct{}{}:
		default:
		}
	})
}

// timedOut turns the result of an attempt that ran out of time into a
// timeout failure, keeping what it had done, scaled to the time it had.
func timedOut(asg Assignment, res Result, ran time.Duration) Result {
	if ran > asg.Timeout && ran > 0 {
		f := float64(asg.Timeout) / float64(ran)
		res.RowsIn = int64(float64(res.RowsIn) * f)
		res.RowsOut = 0
		res.Bytes = int64(float64(res.Bytes) * f)
		res.CPU = time.Duration(float64(res.CPU) * f)
	}
	res.Error = fmt.Sprintf("attempt timed out after %s", asg.Timeout)
	res.Class = spec.ClassTimeout
	res.RetryAfter = 0
	return res
}

// refs returns the held, not abandoned, attempts in order. The caller
// holds a.mu.
func (a *Agent) refs() []AttemptRef {
	out := make([]AttemptRef, 0, len(a.running))
	for ref, at := range a.running {
		if !at.abandoned {
			out = append(out, ref)
		}
	}
	slices.SortFunc(out, AttemptRef.Compare)
	return out
}

// throttle logs err unless an error was logged less than errorLogEvery
// ago, and returns it.
func (a *Agent) throttle(err error) error {
	if err == nil {
		return nil
	}
	now := a.clock.Now()
	a.mu.Lock()
	log := a.lastErrLog.IsZero() || now.Sub(a.lastErrLog) >= errorLogEvery
	if log {
		a.lastErrLog = now
	}
	a.mu.Unlock()
	if log {
		a.logger.Warn("agent step failed", "err", err)
	}
	return err
}

// Run steps the agent until ctx ends, or until it has drained, waking for
// each finished attempt and at least every PollEvery. On return, attempts
// still running are cancelled and waited for; their leases lapse and the
// controller dispatches them again.
func (a *Agent) Run(ctx context.Context) error {
	defer a.Close()
	timer := a.clock.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		case <-a.wake:
		}
		_, err := a.Step(ctx) // Step logs its failures, throttled.
		if a.Drained() {
			return nil
		}
		// Wake early for a modelled attempt or a heartbeat that falls due
		// before the next poll, but after a failure wait a whole poll, so
		// that an unreachable controller is not called in a tight loop.
		wait := a.opts.PollEvery
		if d := a.NextWake().Sub(a.clock.Now()); err == nil && d < wait {
			wait = max(d, 0)
		}
		timer.Reset(wait)
	}
}

// Close cancels the attempts still running and waits for their goroutines.
func (a *Agent) Close() {
	a.stop()
	a.wg.Wait()
}
