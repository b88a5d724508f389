package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
)

// DefaultIDPrefix prefixes the IDs of a pool's agents unless told otherwise.
const DefaultIDPrefix = "embedded"

// PoolOptions configures a Pool. Its agents share the controller, the
// runner, the clock and the timings.
type PoolOptions struct {
	// Size is the number of agents.
	Size int
	// Capacity is each agent's capacity.
	Capacity   Capacity
	Controller Controller
	Runner     Runner
	Clock      clock.Clock
	// HeartbeatEvery and PollEvery are as in Options.
	HeartbeatEvery time.Duration
	PollEvery      time.Duration
	Logger         *slog.Logger
	// IDPrefix names the agents <prefix>-00, <prefix>-01, and so on; empty
	// means DefaultIDPrefix.
	IDPrefix string
}

// Pool is the embedded mode's set of in-process agents. Its size and each
// agent's slots can change while it runs: agents added start at once, and
// agents removed drain, finishing what they hold without claiming more.
//
// A pool is driven either by Run, each agent on its own goroutine on the
// wall clock, or by Step, every agent in ID order on the caller's goroutine,
// which is how a simulation drives it.
type Pool struct {
	opts PoolOptions

	mu       sync.Mutex
	agents   []*Agent // Active, in ID order.
	draining []*Agent // Removed, finishing their attempts.
	next     int      // Number of the next agent's ID.
	// While Run runs: the context new agents run under, and their
	// goroutines.
	runCtx context.Context
	wg     sync.WaitGroup
}

// NewPool returns a pool of opts.Size agents.
func NewPool(opts PoolOptions) (*Pool, error) {
	if opts.Size < 0 {
		return nil, fmt.Errorf("new agent pool: negative size %d", opts.Size)
	}
	if opts.Controller == nil || opts.Runner == nil {
		return nil, errors.New("new agent pool: controller and runner must be set")
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = DefaultIDPrefix
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{opts: opts}
	if err := p.SetSize(opts.Size); err != nil {
		return nil, err
	}
	return p, nil
}

// SetSize grows or shrinks the pool to n agents. Growing adds agents with
// new IDs; shrinking drains the most recently added ones.
func (p *Pool) SetSize(n int) error {
	if n < 0 {
		return fmt.Errorf("set agent pool size: negative size %d", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.agents) < n {
		a, err := New(Options{
			ID:             fmt.Sprintf("%s-%02d", p.opts.IDPrefix, p.next),
			Capacity:       p.opts.Capacity,
			Controller:     p.opts.Controller,
			Runner:         p.opts.Runner,
			Clock:          p.opts.Clock,
			HeartbeatEvery: p.opts.HeartbeatEvery,
			PollEvery:      p.opts.PollEvery,
			Logger:         p.opts.Logger,
		})
		if err != nil {
			return fmt.Errorf("set agent pool size: %w", err)
		}
		p.next++
		p.agents = append(p.agents, a)
		if p.runCtx != nil {
			p.start(a)
		}
	}
	for len(p.agents) > n {
		a := p.agents[len(p.agents)-1]
		p.agents = p.agents[:len(p.agents)-1]
		a.Drain()
		p.draining = append(p.draining, a)
	}
	return nil
}

// SetSlots sets the slots of every agent, and of those added later.
func (p *Pool) SetSlots(n int) error {
	if n < 0 {
		return fmt.Errorf("set agent slots: negative slots %d", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts.Capacity.Slots = n
	for _, a := range p.agents {
		c := a.Capacity()
		c.Slots = n
		a.SetCapacity(c)
	}
	return nil
}

// Size returns the number of active agents.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.agents)
}

// Agents returns the IDs of the active agents.
func (p *Pool) Agents() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, len(p.agents))
	for i, a := range p.agents {
		ids[i] = a.ID()
	}
	return ids
}

// Step steps every agent, draining ones included, in ID order, and forgets
// the agents that have drained. It returns the number of reports and
// claims made. It must not be called while Run runs.
func (p *Pool) Step(ctx context.Context) (int, error) {
	p.mu.Lock()
	all := slices.Concat(p.agents, p.draining)
	p.mu.Unlock()
	slices.SortFunc(all, func(x, y *Agent) int { return compareIDs(x.ID(), y.ID()) })
	var (
		n    int
		errs []error
	)
	for _, a := range all {
		k, err := a.Step(ctx)
		n += k
		errs = append(errs, err)
	}
	p.mu.Lock()
	p.draining = slices.DeleteFunc(p.draining, (*Agent).Drained)
	p.mu.Unlock()
	return n, errors.Join(errs...)
}

// NextWake returns the earliest time at which an agent has something to do
// on its own, and false if the pool has no agent.
func (p *Pool) NextWake() (time.Time, bool) {
	p.mu.Lock()
	all := slices.Concat(p.agents, p.draining)
	p.mu.Unlock()
	var next time.Time
	for _, a := range all {
		if w := a.NextWake(); next.IsZero() || w.Before(next) {
			next = w
		}
	}
	return next, !next.IsZero()
}

// Run runs every agent on its own goroutine until ctx ends, then waits for
// them to stop.
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.runCtx != nil {
		p.mu.Unlock()
		return errors.New("run agent pool: already running")
	}
	p.runCtx = ctx
	for _, a := range slices.Concat(p.agents, p.draining) {
		p.start(a)
	}
	p.mu.Unlock()
	<-ctx.Done()
	p.wg.Wait()
	p.mu.Lock()
	p.runCtx = nil
	p.draining = slices.DeleteFunc(p.draining, (*Agent).Drained)
	p.mu.Unlock()
	return nil
}

// start runs a on its own goroutine under the Run context. The caller
// holds p.mu.
func (p *Pool) start(a *Agent) {
	ctx := p.runCtx
	p.wg.Go(func() {
		if err := a.Run(ctx); err != nil {
			p.opts.Logger.Error("agent stopped", "agent", a.ID(), "err", err)
		}
	})
}

// compareIDs orders agent IDs by length, then bytes, so that prefix-100
// follows prefix-99.
func compareIDs(x, y string) int {
	if len(x) != len(y) {
		return len(x) - len(y)
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
