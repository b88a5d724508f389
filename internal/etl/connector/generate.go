package connector

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults of the generate source.
const (
	defaultGenerateInterval = time.Hour
	defaultGenerateBatch    = 4096
	defaultPeakHour         = 14
	defaultPeakWeekday      = 3 // Wednesday, so the trough falls on the weekend.
)

// generateSettings are the settings of the generate source, which makes
// synthetic rows for demos, tests and the simulator:
//
//	seed: 42
//	rows: 1000                # rows of a run at the base level
//	interval: 1h              # the span a run covers, from its logical time
//	logical_time: 2025-01-06T00:00:00Z  # overrides the run's logical time
//	seasonality: {daily: 0.5, weekly: 0.2, peak_hour: 14, peak_weekday: 3}
//	growth: 0.01              # relative growth per day since start, compounded
//	start: 2025-01-01T00:00:00Z
//	noise: 0.05               # relative standard deviation of a run's row count
//	columns:
//	  - {name: id, dist: sequence}
//	  - {name: amount, dist: lognormal, mu: 3, sigma: 0.8, decimals: 2, null: 0.01}
//	  - {name: status, dist: categorical, values: [paid, refunded], weights: [0.95, 0.05]}
//	  - {name: created_at, dist: timestamp}
//
// A run's row count is rows times the mean seasonal factor over its
// interval, times the growth factor at the interval's middle, times
// 1 + noise·N(0,1), rounded. The seasonal factor is
// (1 + daily·cos(2π(hour−peak_hour)/24)) · (1 + weekly·cos(2π(day−peak_weekday)/7)),
// in UTC, with day counted from Sunday. Every column draws from its own
// generator, seeded by the seed, the column's name and the logical time, so
// the same settings and logical time always give the same rows, and adding a
// column does not change the others.
type generateSettings struct {
	Seed        int64               `setting:"seed"`
	Rows        int                 `setting:"rows"`
	Interval    Duration            `setting:"interval"`
	LogicalTime time.Time           `setting:"logical_time"`
	Seasonality seasonalitySettings `setting:"seasonality"`
	Growth      float64             `setting:"growth"`
	Start       time.Time           `setting:"start"`
	Noise       float64             `setting:"noise"`
	Columns     []genColumnSettings `setting:"columns"`
	BatchSize   int                 `setting:"batch_size"`
}

// seasonalitySettings shape the row count over the day and the week.
type seasonalitySettings struct {
	Daily       float64  `setting:"daily"`
	Weekly      float64  `setting:"weekly"`
	PeakHour    *float64 `setting:"peak_hour"`
	PeakWeekday *float64 `setting:"peak_weekday"`
}

type generateSource struct {
	seed        int64
	rows        int
	interval    time.Duration
	logicalTime time.Time
	daily       float64
	weekly      float64
	peakHour    float64
	peakWeekday float64
	growth      float64
	start       time.Time
	noise       float64
	schema      Schema
	columns     []genColumn
	batchSize   int
}

func newGenerateSource(_ *Env, settings map[string]any) (Source, error) {
	var s generateSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	bad := func(key, format string, args ...any) error {
		return &settingError{path: key, err: fmt.Errorf(format, args...)}
	}
	switch {
	case s.Rows < 0:
		return nil, bad("rows", "must not be negative")
	case s.Interval < 0:
		return nil, bad("interval", "must be positive")
	case s.Seasonality.Daily < 0 || s.Seasonality.Daily >= 1:
		return nil, bad("seasonality.daily", "want an amplitude in [0, 1), got %v", s.Seasonality.Daily)
	case s.Seasonality.Weekly < 0 || s.Seasonality.Weekly >= 1:
		return nil, bad("seasonality.weekly", "want an amplitude in [0, 1), got %v", s.Seasonality.Weekly)
	case s.Growth <= -1:
		return nil, bad("growth", "must be greater than -1")
	case s.Growth != 0 && s.Start.IsZero():
		return nil, bad("start", "is required with growth: it is when growth starts")
	case s.Noise < 0:
		return nil, bad("noise", "must not be negative")
	case len(s.Columns) == 0:
		return nil, bad("columns", "is required")
	case s.BatchSize < 0:
		return nil, bad("batch_size", "must not be negative")
	}
	g := &generateSource{
		seed: s.Seed, rows: s.Rows, interval: time.Duration(s.Interval), logicalTime: s.LogicalTime,
		daily: s.Seasonality.Daily, weekly: s.Seasonality.Weekly, peakHour: defaultPeakHour, peakWeekday: defaultPeakWeekday,
		growth: s.Growth, start: s.Start, noise: s.Noise, batchSize: s.BatchSize,
	}
	if s.Seasonality.PeakHour != nil {
		g.peakHour = *s.Seasonality.PeakHour
	}
	if s.Seasonality.PeakWeekday != nil {
		g.peakWeekday = *s.Seasonality.PeakWeekday
	}
	if g.interval == 0 {
		g.interval = defaultGenerateInterval
	}
	if g.batchSize == 0 {
		g.batchSize = defaultGenerateBatch
	}
	for i, cs := range s.Columns {
		c, err := cs.build()
		if err != nil {
			return nil, nestPath(fmt.Sprintf("columns[%d]", i), err)
		}
		g.columns = append(g.columns, c)
		g.schema = append(g.schema, Column{Name: cs.Name, Type: c.typ})
	}
	if err := g.schema.Validate(); err != nil {
		return nil, &settingError{path: "columns", err: err}
	}
	return g, nil
}

// Read generates the rows for the logical_time setting, which it needs.
func (g *generateSource) Read(ctx context.Context, emit func(Batch) error) error {
	return g.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun generates the rows for the logical_time setting or, without it,
// the run's logical time. Generated rows are never bad.
func (g *generateSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	at := g.logicalTime
	if at.IsZero() {
		at = opts.Run.LogicalTime
	}
	if at.IsZero() {
		return Errorf(ClassConfig, "generate: no logical time: set logical_time or read with the run's")
	}
	at = at.UTC()
	n := g.Count(at)
	gens := make([]genState, len(g.columns))
	for i, c := range g.columns {
		gens[i] = genState{genColumn: c, rng: g.rng(c.name, at), at: at, interval: g.interval, total: n}
	}
	if n == 0 {
		return emit(Batch{Schema: g.schema}) // The schema, for the sink.
	}
	w := len(g.schema)
	for first := int64(0); first < n; first += int64(g.batchSize) {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := int(min(int64(g.batchSize), n-first))
		cells := make([]any, size*w)
		rows := make([][]any, size)
		for r := range rows {
			rows[r] = cells[r*w : (r+1)*w : (r+1)*w]
		}
		for j := range gens {
			gens[j].fill(rows, j, first)
		}
		if err := emit(Batch{Schema: g.schema, Rows: rows}); err != nil {
			return err
		}
	}
	return nil
}

// Count returns how many rows a run at logical time at generates.
func (g *generateSource) Count(at time.Time) int64 {
	at = at.UTC()
	mid := at.Add(g.interval / 2)
	level := float64(g.rows) * g.meanSeason(at) * math.Pow(1+g.growth, mid.Sub(g.start).Hours()/24)
	if g.noise > 0 {
		level *= max(0, 1+g.noise*g.rng("\x00volume", at).NormFloat64())
	}
	if level > math.MaxInt32 {
		level = math.MaxInt32 // A guard against runaway growth, not a limit anyone should meet.
	}
	return int64(math.Round(level))
}

// meanSeason averages the seasonal factor over the interval from at, with
// one sample per quarter hour (at least 64).
func (g *generateSource) meanSeason(at time.Time) float64 {
	if g.daily == 0 && g.weekly == 0 {
		return 1
	}
	k := max(64, min(100000, int(g.interval/(15*time.Minute))))
	step := g.interval / time.Duration(k)
	var sum float64
	for i := range k {
		t := at.Add(step/2 + time.Duration(i)*step)
		sum += g.season(t)
	}
	return sum / float64(k)
}

// season is the seasonal factor at t.
func (g *generateSource) season(t time.Time) float64 {
	hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	day := float64(t.Weekday()) + hour/24
	f := 1 + g.daily*math.Cos(2*math.Pi*(hour-g.peakHour)/24)
	return f * (1 + g.weekly*math.Cos(2*math.Pi*(day-g.peakWeekday)/7))
}

// rng returns the generator of a stream (a column) for a run: seeded by the
// seed, the stream's name and the logical time, and by nothing global.
func (g *generateSource) rng(stream string, at time.Time) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(stream))
	return rand.New(rand.NewPCG(mix64(uint64(g.seed)^h.Sum64()), mix64(uint64(at.UnixNano())^uint64(g.interval))))
}

// mix64 is SplitMix64's finalizer: it spreads the bits of x, so that nearby
// seeds give unrelated streams.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
