// Package engine runs the anomaly detectors on live data: every float
// sample the series store accepts reaches it through the fan-out, each
// series gets its own streaming detector with an automatic baseline, and
// the engine writes the anomaly score back as a series
// (vigil_anomaly_score{source_metric="…", …}) and reports Signals when a
// series turns anomalous or drifts.
//
// It holds detector state in memory, bounded by a maximum number of series,
// and reclaims the state of series that stop reporting. Snapshot and
// Restore (and SaveTo, LoadFrom and the Snapshotter on top of them) keep
// that state across restarts, keyed by label set since TSDB refs change.
// It does not decide what is an incident; that is the incident manager's
// job.
package engine

import (
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/detect"
	"github.com/vigil-aiops/vigil/internal/series"
)

// Signal kinds.
const (
	KindAnomaly = "anomaly"
	KindDrift   = "drift"
)

// The series the engine writes per observed series, each with the label
// source_metric naming the observed series' metric: the anomaly score;
// the alert state (1 while the series is anomalous, else 0); and the range
// of values the baseline expected, which draws the band around a graph.
const (
	ScoreMetric = "vigil_anomaly_score"
	StateMetric = "vigil_anomaly_state"
	LowerMetric = "vigil_anomaly_expected_lower"
	UpperMetric = "vigil_anomaly_expected_upper"
)

// Signal is something unusual about one series, with what a person needs
// to check it.
type Signal struct {
	Kind string
	// Subject names the series: its labels as {a="b", ...}.
	Subject  string
	Labels   map[string]string
	At       time.Time
	Observed float64
	// Expected is the range the baseline expected; zero for an anomaly
	// across several series, which Features explain instead.
	Expected detect.Range
	// Score is the anomaly probability in [0, 1].
	Score float64
	// Detectors names the parts of the detector that fired.
	Detectors string
	// Cleared marks the end of an anomaly the engine reported before.
	Cleared bool
	// Features explains an anomaly found across several series (the
	// metrics of a task run): the most telling first.
	Features []Feature
	// Evidence, when set, says in a sentence what was unusual.
	Evidence string
	// Lead is, for a prediction, how long before the predicted trouble it
	// is raised; Expected then holds the limit.
	Lead time.Duration
}

// Feature is one series' part in a multivariate anomaly.
type Feature struct {
	Name  string
	Value float64
	// Share is the part of the evidence it carries, in [0, 1].
	Share float64
}

// SignalSink receives Signals; it must not block.
type SignalSink interface {
	Signal(Signal)
}

// Options configure an Engine.
type Options struct {
	// Writer stores the scores; nil writes none.
	Writer *series.SelfWriter
	// Signals receives Signals; nil drops them.
	Signals SignalSink
	// MaxSeries bounds the series with detector state; more are counted
	// and not observed until others are reclaimed.
	MaxSeries int
	// IdleAfter reclaims the state of a series with no sample for this
	// long, measured in sample time.
	IdleAfter time.Duration
	// NewDetector makes a series' detector; nil means detect.NameEnsemble.
	NewDetector func() (detect.Detector, error)
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
}

const stripes = 16

// Engine observes samples; it implements series.Observer.
type Engine struct {
	opts    Options
	stripes [stripes]stripe
	tracked atomic.Int64 // Series with state, across stripes.
	// restored holds states restored from a snapshot until their series
	// report again.
	restored restored
	runs     runs
	// holds are the series (by label hash) in open incidents, which the
	// detectors judge without learning; nholds spares the lookup when
	// there are none.
	holdMu sync.RWMutex
	holds  map[uint64]bool
	nholds atomic.Int64
	work   sync.Pool // Of *work.
	// writeMu serialises the engine's commits of derived series.
	writeMu sync.Mutex
	m       metrics
}

type stripe struct {
	mu     sync.Mutex
	series map[uint64]*state
}

type state struct {
	d      detect.Detector
	labels series.Labels // Kept for snapshots, which key series by labels.
	name   string        // The metric name, looked up once.
	hash   uint64        // The labels' hash, for holds.
	// A counter's detector sees its rate; prevV is the previous value,
	// which primed says is known (it is not kept in snapshots, so the
	// first sample after a restart only primes it again).
	counter bool
	primed  bool
	prevV   float64
	// quantum is the smallest change seen between consecutive values
	// (the series' resolution), prevIn the previous value, if hasIn.
	quantum, prevIn float64
	hasIn           bool
	lastT           int64
	alerting        bool
	// The score last written, and when: scores are written when they move
	// or once a minute, which keeps the series current for PromQL (whose
	// lookback is minutes) at a fraction of the appends.
	writtenT int64
	written  float64
	// The alert state and the expected range are written when the state
	// changes and every stateEvery, which keeps them current for PromQL
	// at a fraction of the appends: the range moves slowly.
	stateT   int64
	scoreRef uint64    // The score series' reference in storage,
	stateRef [3]uint64 // and those of the state, lower and upper series.
}

// Score write-back thresholds.
const (
	scoreEvery = int64(time.Minute / time.Millisecond)
	stateEvery = int64(4 * time.Minute / time.Millisecond)
	scoreMove  = 0.05
)

type metrics struct {
	tracked prometheus.GaugeFunc
	samples prometheus.Counter
	dropped prometheus.Counter
	signals *prometheus.CounterVec
	reclaim prometheus.Counter
	claimed prometheus.Counter
	expired prometheus.Counter
	pending prometheus.GaugeFunc
}

// New returns an engine; subscribe it to the series store.
func New(opts Options) *Engine {
	if opts.NewDetector == nil {
		opts.NewDetector = func() (detect.Detector, error) { return detect.New(detect.NameEnsemble) }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{opts: opts, restored: restored{byLabels: map[string]*restoredState{}}}
	e.work.New = func() any { return &work{} }
	for i := range e.stripes {
		e.stripes[i].series = map[uint64]*state{}
	}
	e.m = metrics{
		samples: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_engine_samples_total", Help: "Samples run through a detector."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_engine_samples_unobserved_total", Help: "Samples of series beyond engine max_series, not observed."}),
		reclaim: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_engine_series_reclaimed_total", Help: "Series whose detector state was dropped after they went idle."}),
		claimed: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_engine_series_restored_total", Help: "Series whose detector state, restored from a snapshot, was taken up by their first sample."}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_engine_series_restored_expired_total", Help: "Restored detector states dropped because their series did not report within idle_after."}),
		signals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_engine_signals_total", Help: "Signals emitted, by kind."}, []string{"kind"}),
	}
	e.m.tracked = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_engine_series", Help: "Series with detector state."},
		func() float64 { return float64(e.Series()) })
	e.m.pending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_engine_series_restored_pending", Help: "Restored detector states waiting for their series' first sample."},
		func() float64 { return float64(e.restored.n.Load()) })
	e.m.signals.WithLabelValues(KindAnomaly)
	e.m.signals.WithLabelValues(KindDrift)
	opts.Registerer.MustRegister(e.m.tracked, e.m.samples, e.m.dropped, e.m.reclaim, e.m.signals, e.m.claimed, e.m.expired, e.m.pending)
	return e
}

// Series returns how many series have detector state.
func (e *Engine) Series() int { return int(e.tracked.Load()) }

// derived reports whether a series is one Vigil derives from others:
// observing it would feed the engine its own output.
func derived(name string) bool { return strings.HasPrefix(name, "vigil_anomaly") }

// counter reports whether a metric is a counter by the Prometheus and
// OpenMetrics naming conventions: the engine judges the rate of a counter,
// not its ever-growing value. (Remote write does not always carry metric
// types, so names are the reliable common ground.)
func counter(name string) bool {
	return strings.HasSuffix(name, "_total") || strings.HasSuffix(name, "_count") || strings.HasSuffix(name, "_sum")
}

// bucket reports whether a metric is a classic histogram's bucket series.
// Its _count and _sum series carry the histogram's rate and mean; judging
// each bucket as well would multiply the cost for little evidence.
func bucket(name string) bool { return strings.HasSuffix(name, "_bucket") }

// Observe implements series.Observer. The fan-out calls it from one
// goroutine per shard, and a series is always in the same shard, so the
// samples of a series arrive in order.
func (e *Engine) Observe(batch []series.Sample) {
	if len(batch) == 0 {
		return
	}
	// A batch holds one shard's samples; stripe by series, lock each once.
	w := e.work.Get().(*work)
	defer e.work.Put(w)
	for i := range w.byStripe {
		w.byStripe[i] = w.byStripe[i][:0]
	}
	w.points, w.owners, w.signals = w.points[:0], w.owners[:0], w.signals[:0]
	for i, smp := range batch {
		w.byStripe[smp.Ref%stripes] = append(w.byStripe[smp.Ref%stripes], i)
	}
	for si, idx := range w.byStripe {
		if len(idx) > 0 {
			e.observeStripe(&e.stripes[si], batch, idx, w)
		}
	}
	// The scores of the whole batch are stored in one commit: a commit per
	// stripe would cost a WAL write each.
	if e.opts.Writer != nil && len(w.points) > 0 {
		// One engine commit at a time: the fan-out's shards would
		// otherwise commit derived series side by side, and the TSDB's
		// head-chunk writer has been seen to trip over concurrent cuts
		// (prometheus/prometheus#10291) in the tests.
		e.writeMu.Lock()
		e.opts.Writer.WriteBatch(w.points)
		e.writeMu.Unlock()
		// The references are only read and written by the fan-out shard
		// that owns the series, which is this goroutine.
		for i, o := range w.owners {
			if o.k < 0 {
				o.st.scoreRef = w.points[i].Ref
			} else {
				o.st.stateRef[o.k] = w.points[i].Ref
			}
		}
	}
	e.emit(w.signals)
	clear(w.owners) // Let reclaimed states and delivered signals go.
	clear(w.signals)
}

// work is the scratch space of one Observe call.
type work struct {
	byStripe [stripes][]int
	points   []series.Point // Scores and states to write,
	owners   []owner        // and the series each belongs to.
	signals  []Signal
}

func (e *Engine) observeStripe(s *stripe, batch []series.Sample, idx []int, w *work) {
	s.mu.Lock()
	defer s.mu.Unlock()
	signals := w.signals
	observed := 0
	for _, i := range idx {
		smp := batch[i]
		st := s.series[smp.Ref]
		if st == nil {
			name := smp.Labels.Get("__name__")
			if derived(name) || bucket(name) {
				continue
			}
			// A new ref: the series is new, or it comes back after a
			// restart with the state the snapshot kept for its labels.
			if st = e.claim(smp.Labels); st == nil {
				if e.opts.MaxSeries > 0 && e.Series()+e.Pending() >= e.opts.MaxSeries {
					e.m.dropped.Inc()
					continue
				}
				d, err := e.opts.NewDetector()
				if err != nil {
					e.opts.Logger.Error("new detector", "err", err)
					continue
				}
				st = &state{d: d}
			}
			st.labels, st.name, st.counter, st.hash = smp.Labels, name, counter(name), smp.Labels.Hash()
			s.series[smp.Ref] = st
			e.tracked.Add(1)
		}
		if smp.T <= st.lastT {
			continue // Duplicate or out of order: the detector sees time move forward only.
		}
		v := smp.V
		if st.counter {
			// A counter is judged by its rate: the increase per second
			// since the previous sample. The interval of a reset is not
			// judged: what was counted between the previous sample and
			// the restart is lost, so its increase is unknown.
			if math.IsNaN(v) {
				continue // A staleness marker, or garbage: no increase to judge.
			}
			prevT, prevV, primed := st.lastT, st.prevV, st.primed
			st.lastT, st.prevV, st.primed = smp.T, v, true
			if !primed || v < prevV {
				continue
			}
			v = (v - prevV) / (float64(smp.T-prevT) / 1000)
		}
		st.lastT = smp.T
		res := st.d.Observe(detect.Sample{T: smp.T, V: v, Hold: e.held(st)})
		observed++
		st.learnQuantum(v)
		if res.Alert && !st.alerting && st.withinQuanta(v, res.Expected) {
			res.Alert = false
		}
		if e.opts.Writer != nil {
			if smp.T-st.writtenT >= scoreEvery || math.Abs(res.Probability-st.written) >= scoreMove || res.Alert != st.alerting {
				w.points = append(w.points, series.Point{Name: ScoreMetric, Labels: smp.Labels,
					ExtraName: "source_metric", ExtraValue: st.name, T: smp.T, V: res.Probability, Ref: st.scoreRef})
				w.owners = append(w.owners, owner{st, -1})
				st.writtenT, st.written = smp.T, res.Probability
			}
			if smp.T-st.stateT >= stateEvery || res.Alert != st.alerting {
				var on float64
				if res.Alert {
					on = 1
				}
				for k, p := range [3]struct {
					name string
					v    float64
				}{{StateMetric, on}, {LowerMetric, res.Expected.Low}, {UpperMetric, res.Expected.High}} {
					if math.IsInf(p.v, 0) || math.IsNaN(p.v) {
						continue // No range before the baseline forms.
					}
					w.points = append(w.points, series.Point{Name: p.name, Labels: smp.Labels,
						ExtraName: "source_metric", ExtraValue: st.name, T: smp.T, V: p.v, Ref: st.stateRef[k]})
					w.owners = append(w.owners, owner{st, k})
				}
				st.stateT = smp.T
			}
		}
		switch {
		case res.Alert && !st.alerting:
			signals = append(signals, signal(KindAnomaly, st, smp, v, res))
		case !res.Alert && st.alerting:
			sg := signal(KindAnomaly, st, smp, v, res)
			sg.Cleared = true
			signals = append(signals, sg)
		}
		st.alerting = res.Alert
		if res.Drift {
			signals = append(signals, signal(KindDrift, st, smp, v, res))
		}
	}
	e.m.samples.Add(float64(observed))
	w.signals = signals
}

// quantaFloor is how many of its quanta a series must move beyond the
// expected range before its anomaly is reported. The baseline of a series
// of small counts that sits still for hours (a queue that is mostly empty)
// shrinks to nothing, and a queue of one is then infinitely unusual to it;
// a change of a few units of a discrete series is not trouble in itself.
// For a real-valued series the quantum is tiny and the floor does nothing.
const quantaFloor = 3

// learnQuantum updates the series' resolution with value v.
func (st *state) learnQuantum(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if d := math.Abs(v - st.prevIn); st.hasIn && d > 0 && (st.quantum == 0 || d < st.quantum) {
		st.quantum = d
	}
	st.prevIn, st.hasIn = v, true
}

// withinQuanta reports whether v lies within quantaFloor quanta of the
// expected range.
func (st *state) withinQuanta(v float64, r detect.Range) bool {
	if st.quantum == 0 {
		return false
	}
	floor := quantaFloor * st.quantum
	return v >= r.Low-floor && v <= r.High+floor
}

// owner is the series a score or state point belongs to: k is -1 for the
// score, else the index of the state series.
type owner struct {
	st *state
	k  int
}

// emit counts and hands on signals.
func (e *Engine) emit(signals []Signal) {
	for _, sg := range signals {
		if sg.Cleared {
			continue
		}
		e.m.signals.WithLabelValues(sg.Kind).Inc()
	}
	for _, sg := range signals {
		if e.opts.Signals != nil {
			e.opts.Signals.Signal(sg)
		}
	}
}

// signal reports on a sample whose detector saw v: the sample's value, or
// a counter's rate.
func signal(kind string, st *state, smp series.Sample, v float64, res detect.Result) Signal {
	sg := Signal{Kind: kind, Subject: smp.Labels.String(), Labels: smp.Labels.Map(), At: time.UnixMilli(smp.T).UTC(),
		Observed: v, Expected: res.Expected, Score: res.Probability, Detectors: res.Fired.String()}
	if st.counter {
		sg.Evidence = fmt.Sprintf("rate %g/s, expected %g/s to %g/s; fired: %s", v, res.Expected.Low, res.Expected.High, sg.Detectors)
	}
	return sg
}

// Hold makes the detector of the series with labels judge its samples
// without learning from them while on is set: the incident manager holds
// the series of open incidents, so that an outage does not become their
// baseline. Holding a series the engine does not know has no effect until
// it reports.
func (e *Engine) Hold(labels map[string]string, on bool) {
	h := series.FromMap(labels).Hash()
	e.holdMu.Lock()
	defer e.holdMu.Unlock()
	if e.holds == nil {
		e.holds = map[uint64]bool{}
	}
	if on == e.holds[h] {
		return
	}
	if on {
		e.holds[h] = true
		e.nholds.Add(1)
	} else {
		delete(e.holds, h)
		e.nholds.Add(-1)
	}
}

func (e *Engine) held(st *state) bool {
	if e.nholds.Load() == 0 {
		return false
	}
	e.holdMu.RLock()
	defer e.holdMu.RUnlock()
	return e.holds[st.hash]
}

// Reclaim drops the state of series with no sample since now-IdleAfter,
// in sample time, and returns how many it dropped. It also drops the states
// restored from a snapshot that no series has taken up IdleAfter after the
// first Reclaim that saw them (see Restore); those are not counted.
func (e *Engine) Reclaim(now time.Time) int {
	if e.opts.IdleAfter <= 0 {
		return 0
	}
	e.expire(now)
	cutoff := now.Add(-e.opts.IdleAfter).UnixMilli()
	n := 0
	for i := range e.stripes {
		s := &e.stripes[i]
		s.mu.Lock()
		for ref, st := range s.series {
			if st.lastT < cutoff {
				delete(s.series, ref)
				e.tracked.Add(-1)
				n++
			}
		}
		s.mu.Unlock()
	}
	e.m.reclaim.Add(float64(n))
	return n
}
