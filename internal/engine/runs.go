package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/detect"
	"github.com/vigil-aiops/vigil/internal/series"
	store "github.com/vigil-aiops/vigil/internal/state"
)

// TaskRun is what one successful attempt of a pipeline task did, as the
// runtime reports it when the attempt ends.
type TaskRun struct {
	Pipeline, Task string
	// At is when the attempt ended.
	At                       time.Time
	Duration, QueueWait, CPU time.Duration
	RowsIn, RowsOut, Bytes   int64
}

// GroupMetric names the group detector's verdict on a task run, as the
// source_metric of its score series and in Signals.
const GroupMetric = "vigil_etl_task_run"

// runFeature is one metric of a task run: the series the runtime writes
// it to, and its value.
type runFeature struct {
	metric string
	value  func(TaskRun) float64
	// quiet features are scored and feed the group detector but raise no
	// anomaly of their own: how long a task waited for an agent says more
	// about the other tasks than about this one.
	quiet bool
}

// runFeatures are the metrics each task run is judged on, alone and
// together. They are those the runtime writes as vigil_etl_task_* series.
func runFeatures() [6]runFeature {
	return [...]runFeature{
		{"vigil_etl_task_duration_seconds", func(r TaskRun) float64 { return r.Duration.Seconds() }, false},
		{"vigil_etl_task_queue_wait_seconds", func(r TaskRun) float64 { return r.QueueWait.Seconds() }, true},
		{"vigil_etl_task_rows_in", func(r TaskRun) float64 { return float64(r.RowsIn) }, false},
		{"vigil_etl_task_rows_out", func(r TaskRun) float64 { return float64(r.RowsOut) }, false},
		{"vigil_etl_task_bytes", func(r TaskRun) float64 { return float64(r.Bytes) }, false},
		{"vigil_etl_task_cpu_seconds", func(r TaskRun) float64 { return r.CPU.Seconds() }, false},
	}
}

const nRunFeatures = 6

// taskState is the detectors of one pipeline task: one univariate
// detector per metric, which knows each metric's baseline and seasonality,
// and a group detector over all of them, which knows how they go together.
type taskState struct {
	uni        [nRunFeatures]detect.Detector
	alerting   [nRunFeatures]bool
	group      *detect.GroupDetector
	groupAlert bool
	lastT      int64
	row        [nRunFeatures]float64
}

// runs holds the task states, bounded like the series.
type runs struct {
	mu     sync.Mutex
	tasks  map[string]*taskState
	points []series.Point
}

// ObserveTask judges one finished task attempt: each of its metrics
// against the task's own baseline, and all of them together, and reports
// Signals and writes anomaly scores as it does for stored series. Attempts
// of a task must come in the order they ended; an older one is ignored.
// It is safe for concurrent use.
func (e *Engine) ObserveTask(tr TaskRun) {
	r := &e.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	key := tr.Pipeline + "\x00" + tr.Task
	st := r.tasks[key]
	if st == nil {
		if e.opts.MaxSeries > 0 && len(r.tasks) >= e.opts.MaxSeries {
			e.m.dropped.Inc()
			return
		}
		var err error
		if st, err = e.newTaskState(); err != nil {
			e.opts.Logger.Error("new task detectors", "err", err)
			return
		}
		if r.tasks == nil {
			r.tasks = map[string]*taskState{}
		}
		r.tasks[key] = st
	}
	t := tr.At.UnixMilli()
	if t <= st.lastT {
		return
	}
	st.lastT = t
	r.points = r.points[:0]
	var signals []Signal
	base := map[string]string{"pipeline": tr.Pipeline, "task": tr.Task}
	features := runFeatures()
	for i, f := range features {
		// Counts, sizes and durations vary by factors, not by amounts: the
		// detectors see orders of magnitude, so that a task writing a
		// hundredth of its rows stands out however much its volume swings
		// over the day. The expected range is reported in the metric's unit.
		v := f.value(tr)
		lv := math.Log1p(max(v, 0))
		res := st.uni[i].Observe(detect.Sample{T: t, V: lv})
		res.Expected = detect.Range{Low: math.Expm1(res.Expected.Low), High: math.Expm1(res.Expected.High)}
		labels := withName(base, f.metric)
		r.points = append(r.points, scorePoint(labels, f.metric, t, res.Probability))
		if f.quiet {
			res.Alert = false
		}
		switch {
		case res.Alert && !st.alerting[i]:
			signals = append(signals, Signal{Kind: KindAnomaly, Subject: series.FromMap(labels).String(), Labels: labels,
				At: tr.At.UTC(), Observed: v, Expected: res.Expected, Score: res.Probability, Detectors: res.Fired.String()})
		case !res.Alert && st.alerting[i]:
			signals = append(signals, Signal{Kind: KindAnomaly, Subject: series.FromMap(labels).String(), Labels: labels,
				At: tr.At.UTC(), Observed: v, Expected: res.Expected, Score: res.Probability, Cleared: true})
		}
		st.alerting[i] = res.Alert
		st.row[i] = lv
	}
	res, err := st.group.Observe(st.row[:])
	if err != nil {
		e.opts.Logger.Error("group detector", "pipeline", tr.Pipeline, "task", tr.Task, "err", err)
	} else if res.Ready {
		labels := withName(base, GroupMetric)
		r.points = append(r.points, scorePoint(labels, GroupMetric, t, res.Score))
		if res.Alert != st.groupAlert {
			sg := Signal{Kind: KindAnomaly, Subject: series.FromMap(labels).String(), Labels: labels, At: tr.At.UTC(),
				Score: res.Score, Detectors: res.By, Cleared: !res.Alert}
			if res.Alert {
				sg.Features = e.explainRun(st, tr, res.By)
				sg.Evidence = groupEvidence(sg.Features, res.By)
			}
			signals = append(signals, sg)
		}
		st.groupAlert = res.Alert
	}
	if e.opts.Writer != nil {
		e.writeMu.Lock()
		e.opts.Writer.WriteBatch(r.points)
		e.writeMu.Unlock()
	}
	e.emit(signals)
}

func (e *Engine) newTaskState() (*taskState, error) {
	st := &taskState{}
	for i := range st.uni {
		d, err := e.opts.NewDetector()
		if err != nil {
			return nil, err
		}
		st.uni[i] = d
	}
	g, err := detect.NewGroupDetector(detect.DefaultGroupConfig())
	if err != nil {
		return nil, err
	}
	st.group = g
	return st, nil
}

// explainRun lists the metrics of a run that made it unusual, the most
// telling first, with the share of the evidence each carries.
func (e *Engine) explainRun(st *taskState, tr TaskRun, by string) []Feature {
	ex, err := st.group.Explain(st.row[:], by)
	if err != nil {
		return nil
	}
	features := runFeatures()
	var out []Feature
	for _, c := range ex {
		if c.Share <= 0 {
			continue
		}
		f := features[c.Feature]
		out = append(out, Feature{Name: f.metric, Value: f.value(tr), Share: c.Share})
	}
	return out
}

// groupEvidence says in a sentence which metrics made a run unusual.
func groupEvidence(fs []Feature, by string) string {
	var parts []string
	for i, f := range fs {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s=%g (%.0f%%)", strings.TrimPrefix(f.Name, "vigil_etl_task_"), f.Value, 100*f.Share))
	}
	return fmt.Sprintf("unusual combination of the run's metrics (%s): %s", by, strings.Join(parts, ", "))
}

// withName returns a copy of labels with the metric name set.
func withName(labels map[string]string, name string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out["__name__"] = name
	return out
}

func scorePoint(labels map[string]string, metric string, t int64, v float64) series.Point {
	return series.Point{Name: ScoreMetric, Labels: series.FromMap(labels), ExtraName: "source_metric", ExtraValue: metric, T: t, V: v}
}

// Tasks returns how many pipeline tasks have detectors.
func (e *Engine) Tasks() int {
	e.runs.mu.Lock()
	defer e.runs.mu.Unlock()
	return len(e.runs.tasks)
}

// taskSnapshot is what SaveTasks keeps of one task: the last attempt's
// time and its metrics' detectors. The group detector is not kept: its
// forest regrows from the runs after a restart (about 64 of them).
type taskSnapshot struct {
	LastT int64    `json:"last"`
	Uni   [][]byte `json:"uni"`
}

// SaveTasks writes the task-run detectors' state to meta under key, so
// that a restart keeps each task's baselines.
func (e *Engine) SaveTasks(ctx context.Context, meta Meta, key string) error {
	e.runs.mu.Lock()
	snap := make(map[string]taskSnapshot, len(e.runs.tasks))
	for k, st := range e.runs.tasks {
		ts := taskSnapshot{LastT: st.lastT}
		for _, d := range st.uni {
			m, ok := d.(encoding.BinaryMarshaler)
			if !ok {
				break
			}
			b, err := m.MarshalBinary()
			if err != nil {
				break
			}
			ts.Uni = append(ts.Uni, b)
		}
		if len(ts.Uni) == nRunFeatures {
			snap[k] = ts
		}
	}
	e.runs.mu.Unlock()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(snap); err != nil {
		return fmt.Errorf("save task detectors: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("save task detectors: %w", err)
	}
	if err := meta.Put(ctx, key, buf.Bytes()); err != nil {
		return fmt.Errorf("save task detectors: %w", err)
	}
	return nil
}

// LoadTasks restores what SaveTasks wrote; it reports false when there
// was nothing. A task whose state does not decode starts afresh.
func (e *Engine) LoadTasks(ctx context.Context, meta Meta, key string) (bool, error) {
	b, err := meta.Get(ctx, key)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("load task detectors: %w", err)
	}
	var snap map[string]taskSnapshot
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err == nil {
		err = json.NewDecoder(zr).Decode(&snap)
	}
	if err != nil {
		return false, fmt.Errorf("load task detectors: %w", err)
	}
	e.runs.mu.Lock()
	defer e.runs.mu.Unlock()
	if e.runs.tasks == nil {
		e.runs.tasks = map[string]*taskState{}
	}
	for k, ts := range snap {
		st, err := e.newTaskState()
		if err != nil || len(ts.Uni) != nRunFeatures {
			continue
		}
		ok := true
		for i, raw := range ts.Uni {
			u, isU := st.uni[i].(encoding.BinaryUnmarshaler)
			if !isU || u.UnmarshalBinary(raw) != nil {
				ok = false
				break
			}
		}
		if ok {
			st.lastT = ts.LastT
			e.runs.tasks[k] = st
		}
	}
	return true, nil
}
