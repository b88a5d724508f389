package chaos

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Effects turn a fault's intensity into what it does. Zero fields take the
// defaults of DefaultEffects.
type Effects struct {
	// MaxLatency is the delay a SourceLatency fault of intensity 1 adds to
	// each read.
	MaxLatency time.Duration
	// MaxSlowdown is how many times longer than usual an AgentSlowdown
	// fault of intensity 1 makes an attempt take, minus one.
	MaxSlowdown float64
	// LeakPerHour is the memory, in bytes, an AgentMemoryLeak fault of
	// intensity 1 adds to an attempt's peak for every hour the fault has
	// been active.
	LeakPerHour int64
	// MemoryLimit, when positive, fails with "out of memory" an attempt
	// whose leaked peak memory passes it.
	MemoryLimit int64
	// MaxSpike is how many times the usual rows a VolumeSpike fault of
	// intensity 1 adds.
	MaxSpike float64
	// DriftScale is by how much a Drift fault of intensity 1 scales values,
	// minus one.
	DriftScale float64
	// LateBy is how much older than they should be late rows' times are.
	LateBy time.Duration
}

// DefaultEffects returns the default effects.
func DefaultEffects() Effects {
	return Effects{
		MaxLatency:  10 * time.Minute,
		MaxSlowdown: 9,
		LeakPerHour: 1 << 30,
		MaxSpike:    9,
		DriftScale:  2,
		LateBy:      24 * time.Hour,
	}
}

// withDefaults returns e with its zero fields set to the defaults.
func (e Effects) withDefaults() Effects {
	d := DefaultEffects()
	orDefault(&e.MaxLatency, d.MaxLatency)
	orDefault(&e.MaxSlowdown, d.MaxSlowdown)
	orDefault(&e.LeakPerHour, d.LeakPerHour)
	orDefault(&e.MaxSpike, d.MaxSpike)
	orDefault(&e.DriftScale, d.DriftScale)
	orDefault(&e.LateBy, d.LateBy)
	return e
}

// validate checks that no effect is negative.
func (e Effects) validate() error {
	if e.MaxLatency < 0 || e.MaxSlowdown < 0 || e.LeakPerHour < 0 || e.MemoryLimit < 0 ||
		e.MaxSpike < 0 || e.DriftScale < 0 || e.LateBy < 0 {
		return fmt.Errorf("effects %+v: want no negative effect", e)
	}
	return nil
}

// orDefault sets *v to def if it is zero.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Options configure an Injector.
type Options struct {
	// Schedule is the faults to inject.
	Schedule Schedule
	// Clock tells the wrappers of the real runtime when they are, and
	// times injected delays; nil means the wall clock. The Modeller
	// wrapper goes by the assignment's times instead.
	Clock clock.Clock
	// Truth receives a record of every injection; nil discards them.
	Truth TruthWriter
	// Effects turn intensities into effects.
	Effects Effects
	// Fleet, when set, gives the Modeller wrapper the lineage along which
	// a dataset's faults reach the tasks downstream of it. Without it,
	// only the tasks that read the dataset itself are reached.
	Fleet *spec.Fleet
}

// Injector injects the faults of a schedule through the wrappers its
// methods return. It is safe for concurrent use.
type Injector struct {
	schedule Schedule
	clock    clock.Clock
	truth    TruthWriter
	effects  Effects
	// reach holds, for each fault on a dataset, that dataset and the
	// datasets downstream of it.
	reach map[string][]string
	// books is shared with the injectors WithClock returns.
	books *books
}

// books is what an injector learns as it goes.
type books struct {
	mu  sync.Mutex
	err error // The first failure to record the truth.
	// seen remembers the crash records already written, by fault and
	// agent.
	seen map[string]bool
}

// New returns an injector of opts.Schedule. The schedule must be valid and
// the effects not negative.
func New(opts Options) (*Injector, error) {
	if err := opts.Schedule.Validate(); err != nil {
		return nil, fmt.Errorf("new fault injector: %w", err)
	}
	if err := opts.Effects.validate(); err != nil {
		return nil, fmt.Errorf("new fault injector: %w", err)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Truth == nil {
		opts.Truth = discard{}
	}
	in := &Injector{
		schedule: slices.Clone(opts.Schedule),
		clock:    opts.Clock,
		truth:    opts.Truth,
		effects:  opts.Effects.withDefaults(),
		reach:    make(map[string][]string),
		books:    &books{seen: make(map[string]bool)},
	}
	down := downstream(opts.Fleet)
	for _, f := range in.schedule {
		if f.Target.Type == TargetDataset {
			in.reach[f.ID] = closure(f.Target.Name, down)
		}
	}
	return in, nil
}

// WithClock returns an injector of the same schedule, effects and truth
// writer on clock c, such as the simulated clock of a simulation that
// creates its own. The two share what they record, errors included.
func (in *Injector) WithClock(c clock.Clock) *Injector {
	x := *in
	x.clock = c
	return &x
}

// Schedule returns the injector's faults.
func (in *Injector) Schedule() Schedule { return slices.Clone(in.schedule) }

// Err returns the first error met writing the ground truth, if any. The
// wrappers cannot return it, since the runtime would take it for the
// fault; callers check it when they are done.
func (in *Injector) Err() error {
	in.books.mu.Lock()
	defer in.books.mu.Unlock()
	return in.books.err
}

// record writes the ground truth of one injection of f into s at at.
func (in *Injector) record(f Fault, at time.Time, s Subject, effect string) {
	err := in.truth.WriteTruth(GroundTruth{
		Fault: f.ID, Kind: f.Kind, Target: f.Target, Start: f.Start, End: f.End(), Intensity: f.Intensity,
		At: at, Agent: s.Agent, Pipeline: s.Pipeline, Task: s.Task, Run: s.Run, Attempt: s.Attempt,
		Effect: effect,
	})
	if err == nil {
		return
	}
	in.books.mu.Lock()
	defer in.books.mu.Unlock()
	if in.books.err == nil {
		in.books.err = fmt.Errorf("record injection of fault %s: %w", f.ID, err)
	}
}

// once reports whether key is new, remembering it.
func (in *Injector) once(key string) bool {
	in.books.mu.Lock()
	defer in.books.mu.Unlock()
	if in.books.seen[key] {
		return false
	}
	in.books.seen[key] = true
	return true
}

// chance returns a number in [0, 1) determined by the fault and the
// attempt s, the same every time they are the same. A subject with no run
// is told apart by the time at.
func chance(f Fault, s Subject, at time.Time, salt string) float64 {
	h := fnv.New64a()
	for _, p := range []string{f.ID, s.Run, s.Pipeline, s.Task, strconv.Itoa(s.Attempt), salt} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	if s.Run == "" {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(at.UnixNano()))
		h.Write(b[:])
	}
	return float64(mix(h.Sum64())>>11) / (1 << 53)
}

// mix is SplitMix64's finalizer, which spreads FNV's weak low bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sleep waits for d on c, or until ctx ends, whose error it then returns.
func sleep(ctx context.Context, c clock.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// downstream returns, for each dataset of fleet, the datasets written by
// the tasks that read it. It returns nil for a nil fleet.
func downstream(fleet *spec.Fleet) map[string][]string {
	if fleet == nil {
		return nil
	}
	down := make(map[string][]string)
	for _, p := range fleet.Pipelines() {
		for _, t := range p.Tasks {
			for _, in := range t.Inputs {
				down[in] = append(down[in], t.Outputs...)
			}
		}
	}
	return down
}

// closure returns dataset and every dataset downstream of it, sorted.
func closure(dataset string, down map[string][]string) []string {
	seen := map[string]bool{dataset: true}
	queue := []string{dataset}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, o := range down[d] {
			if !seen[o] {
				seen[o] = true
				queue = append(queue, o)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// discard is a TruthWriter that keeps nothing.
type discard struct{}

// WriteTruth drops the record.
func (discard) WriteTruth(GroundTruth) error { return nil }
