package agent

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// SimModel shapes the attempts a SimRunner makes up. Zero fields take the
// defaults of DefaultSimModel.
type SimModel struct {
	// Seed varies every modelled quantity; the same seed gives the same
	// attempts.
	Seed int64
	// Epoch is where growth starts: volumes grow by Growth per day of
	// logical time after it.
	Epoch  time.Time
	Growth float64
	// Zero fields take DefaultSimModel's values; a negative rate (or
	// growth) means none.
	//
	// TransientRate and PermanentRate are the chances that an attempt
	// fails with a transient class (connection, http_5xx, rate_limited,
	// locked) or a permanent one (data, schema).
	TransientRate float64
	PermanentRate float64
	// SlowRate is the chance that an attempt takes SlowFactor times as
	// long as usual, which may run it past its timeout.
	SlowRate   float64
	SlowFactor float64
}

// DefaultSimModel returns the model's defaults.
func DefaultSimModel() SimModel {
	return SimModel{
		Epoch:         time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Growth:        0.004,
		TransientRate: 0.03,
		PermanentRate: 0.002,
		SlowRate:      0.004,
		SlowFactor:    8,
	}
}

// SimRunner is a Modeller whose attempts are made up, deterministically,
// from the seed, the task and the run's logical time: each task has a
// profile (volume, throughput, overhead, row width, CPU share, memory)
// drawn from its name, and each run's volume follows a daily and a weekly
// season and grows over time, with noise. Some attempts fail, transiently
// or not, and some are slow. Nothing is read or written.
type SimRunner struct {
	model SimModel
	clock clock.Clock
}

// NewSimRunner returns a runner following m. Its Run method, used when an
// agent does not model attempts itself, waits for the modelled duration on
// c.
func NewSimRunner(m SimModel, c clock.Clock) *SimRunner {
	d := DefaultSimModel()
	if m.Epoch.IsZero() {
		m.Epoch = d.Epoch
	}
	if m.Growth == 0 {
		m.Growth = d.Growth
	}
	if m.TransientRate == 0 {
		m.TransientRate = d.TransientRate
	}
	if m.PermanentRate == 0 {
		m.PermanentRate = d.PermanentRate
	}
	if m.SlowRate == 0 {
		m.SlowRate = d.SlowRate
	}
	if m.SlowFactor == 0 {
		m.SlowFactor = d.SlowFactor
	}
	// A negative rate asks for none: zero already means the default.
	for _, r := range []*float64{&m.Growth, &m.TransientRate, &m.PermanentRate, &m.SlowRate} {
		*r = max(*r, 0)
	}
	if c == nil {
		c = clock.Real{}
	}
	return &SimRunner{model: m, clock: c}
}

// profile is a task's modelled character.
type profile struct {
	rows       float64 // Rows per run at the epoch, at the daily mean.
	throughput float64 // Rows per second.
	overhead   time.Duration
	rowBytes   float64
	cpuShare   float64 // CPU time per wall time.
	memory     float64 // Bytes at rest.
	keep       float64 // Share of rows a transform keeps.
}

// profile draws the profile of a task from its pipeline and name.
func (r *SimRunner) profile(pipeline, task string) profile {
	u := func(salt string) float64 { return r.uniform(pipeline, task, salt) }
	return profile{
		rows:       math.Pow(10, 3+3*u("rows")),
		throughput: math.Pow(10, 3+1.5*u("throughput")),
		overhead:   time.Duration((3 + 40*u("overhead")) * float64(time.Second)),
		rowBytes:   80 + 720*u("width"),
		cpuShare:   0.2 + 0.7*u("cpu"),
		memory:     float64(int64(32+480*u("memory")) << 20),
		keep:       0.7 + 0.3*u("keep"),
	}
}

// Model returns the attempt's modelled duration and outcome.
func (r *SimRunner) Model(a Assignment) (time.Duration, Result) {
	p := r.profile(a.Pipeline, a.Task)
	lt := a.LogicalTime.UTC()
	logical := lt.Format(time.RFC3339)
	attempt := fmt.Sprint(a.Attempt)

	// The volume belongs to the logical time: every attempt of a run sees
	// the same data.
	rows := p.rows * r.season(lt) * r.growth(lt) * math.Exp(0.2*r.normal(a.Pipeline, a.Task, logical, "volume"))
	rows = math.Max(1, math.Round(rows))
	wall := float64(p.overhead) + rows/p.throughput*float64(time.Second)*math.Exp(0.15*r.normal(a.RunID, a.Task, attempt, "speed"))
	if r.uniform(a.RunID, a.Task, attempt, "slow") < r.model.SlowRate {
		wall *= r.model.SlowFactor
	}
	res := Result{}
	switch {
	case a.Spec.SQL != nil:
		res.RowsOut = int64(rows)
	case a.Spec.Kind == spec.KindCheck:
		res.RowsIn = int64(rows)
	case a.Spec.Kind == spec.KindTransform:
		res.RowsIn, res.RowsOut = int64(rows), int64(math.Round(rows*p.keep))
	default:
		res.RowsIn, res.RowsOut = int64(rows), int64(rows)
	}
	res.Bytes = int64(float64(max(res.RowsIn, res.RowsOut)) * p.rowBytes)
	res.PeakMemory = int64(p.memory + math.Min(rows*p.rowBytes*0.05, 2<<30))

	fail := r.uniform(a.RunID, a.Task, attempt, "fail")
	switch {
	case fail < r.model.TransientRate:
		classes := []spec.ErrorClass{spec.ClassConnection, spec.ClassHTTP5xx, spec.ClassRateLimited, spec.ClassLocked}
		res.Class = classes[int(r.uniform(a.RunID, a.Task, attempt, "class")*float64(len(classes)))%len(classes)]
		if res.Class == spec.ClassRateLimited {
			res.RetryAfter = 30 * time.Second
		}
	case fail < r.model.TransientRate+r.model.PermanentRate:
		res.Class = spec.ClassData
		if r.uniform(a.RunID, a.Task, attempt, "class") < 0.3 {
			res.Class = spec.ClassSchema
		}
	}
	if res.Class != "" {
		// A failure comes part of the way through, having moved part of
		// the rows.
		f := 0.1 + 0.8*r.uniform(a.RunID, a.Task, attempt, "when")
		wall *= f
		res.RowsIn = int64(float64(res.RowsIn) * f)
		res.RowsOut, res.Bytes = 0, int64(float64(res.Bytes)*f)
		res.Error = fmt.Sprintf("simulated %s failure", res.Class)
	}
	d := time.Duration(wall).Round(time.Millisecond)
	res.CPU = time.Duration(float64(d) * p.cpuShare).Round(time.Millisecond)
	res.Wall = d
	res.Logs = r.logs(a, res, d)
	return d, res
}

// Run waits for the modelled duration on the runner's clock and returns the
// modelled outcome, or a failure if ctx ends first.
func (r *SimRunner) Run(ctx context.Context, a Assignment) Result {
	d, res := r.Model(a)
	t := r.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return res
	case <-ctx.Done():
		return Result{Error: fmt.Sprintf("attempt stopped: %v", ctx.Err()), Class: spec.ClassInternal}
	}
}

// logs returns the lines a modelled attempt writes.
func (r *SimRunner) logs(a Assignment, res Result, d time.Duration) []LogLine {
	start := a.Started
	lines := []LogLine{{At: start, Level: "info", Line: fmt.Sprintf("attempt %d of %s started", a.Attempt, a.Task)}}
	if res.Failed() {
		return append(lines, LogLine{At: start.Add(d), Level: "error", Line: res.Error})
	}
	return append(lines, LogLine{At: start.Add(d), Level: "info",
		Line: fmt.Sprintf("read %d rows, wrote %d rows (%d bytes)", res.RowsIn, res.RowsOut, res.Bytes)})
}

// season is the volume's daily and weekly shape at t: a business-hours
// peak around 14:00 UTC, and quieter weekends.
func (r *SimRunner) season(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	daily := 0.5 + 1.1*math.Exp(-(h-14)*(h-14)/(2*4*4))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		daily *= 0.55
	}
	return daily
}

// growth is the volume's growth from the epoch to t.
func (r *SimRunner) growth(t time.Time) float64 {
	days := t.Sub(r.model.Epoch).Hours() / 24
	return math.Pow(1+r.model.Growth, days)
}

// uniform returns a number in [0, 1) determined by the seed and parts.
func (r *SimRunner) uniform(parts ...string) float64 {
	h := fnv.New64a()
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(r.model.Seed))
	h.Write(seed[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(mix(h.Sum64())>>11) / (1 << 53)
}

// normal returns a standard normal number determined by the seed and parts.
func (r *SimRunner) normal(parts ...string) float64 {
	u1 := r.uniform(slices.Concat(parts, []string{"n1"})...)
	u2 := r.uniform(slices.Concat(parts, []string{"n2"})...)
	return math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
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
