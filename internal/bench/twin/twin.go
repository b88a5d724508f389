// Package twin is the digital-twin benchmark: a generated fleet of
// pipelines runs for days on a simulated clock through the real controller
// and agents (etl.Simulate), with a seeded schedule of faults of every kind
// from internal/chaos and their ground truth, and the same run is watched
// in several modes:
//
//   - static: hand-written threshold rules of the kind teams write in
//     PromQL (a failed run, a run longer than a fixed limit, a task that
//     wrote no rows, a dataset not written for hours), each firing rule
//     instance an alert group as Alertmanager would make it;
//   - detect: Vigil's detection (the engine on every task
//     run, the runtime's failure, lateness, freshness and deadline
//     predictions) correlated into incidents by the incident manager, the
//     conversions being those `vigil serve` uses (internal/signals).
//
// People are modelled: they acknowledge an alert or incident Ack after it
// opens and fix the fault Fix after that; a fault ends at its scheduled end
// or when fixed, whichever is first. MTTD and MTTR are measured from the
// fault's start. An incident (or alert group) that overlaps no fault's
// affected pipelines during the fault (and a grace period after it) is a
// false positive.
//
// The auto mode, with Vigil's remediation under guardrails, needs the
// remediation engine (internal/remediate), which is not wired in yet; the
// report says so rather than invent its figures.
package twin

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/chaos"
	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/incident/fleetgraph"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/signals"
)

// Options configure a run of the twin.
type Options struct {
	Seed      int64
	Pipelines int
	Days      int
	// PerKind is the number of faults of every kind.
	PerKind int
	Agents  int
	Slots   int
	// Ack and Fix model people: the time to acknowledge an alert, and
	// then to fix what it is about.
	Ack, Fix time.Duration
	// Grace is how long after a fault ends an alert about it still counts
	// as caused by it.
	Grace    time.Duration
	Progress io.Writer
}

// DefaultOptions returns 50 pipelines over 7 days with 4 faults of each of
// the 11 kinds, people who acknowledge in 15 minutes and fix in 30 more.
func DefaultOptions() Options {
	return Options{Pipelines: 50, Days: 7, PerKind: 4, Agents: 4, Slots: 4,
		Ack: 15 * time.Minute, Fix: 30 * time.Minute, Grace: 2 * time.Hour, Progress: io.Discard}
}

// ModeResult sums up one mode.
type ModeResult struct {
	MTTD                float64 `json:"mttd_s"`
	MTTR                float64 `json:"mttr_s"`
	Incidents           int     `json:"incidents"`
	FalsePositiveRate   float64 `json:"false_positive_rate"`
	MissedFaults        int     `json:"missed_faults"`
	AlertsPerIncident   float64 `json:"alerts_per_incident"`
	AutomationCoverage  float64 `json:"automation_coverage"`
	GuardrailViolations int     `json:"guardrail_violations"`
}

// DeadlineResult scores the predictions that runs would miss their
// deadline (logical time plus SLA) against the runs that did.
type DeadlineResult struct {
	// Misses counts the runs that ended after their deadline; Predicted
	// those of them predicted at least Lead before it.
	Misses    int `json:"misses"`
	Predicted int `json:"predicted_ahead"`
	// Predictions counts the runs predicted to miss, and False those of
	// them that ended in time.
	Predictions int     `json:"predictions"`
	False       int     `json:"false_predictions"`
	Lead        float64 `json:"lead_s"`
}

// FaultRow is one fault and when each mode noticed it.
type FaultRow struct {
	Fault    string                    `json:"fault"`
	Kind     chaos.Kind                `json:"kind"`
	Target   string                    `json:"target"`
	Start    time.Time                 `json:"start"`
	Duration time.Duration             `json:"duration"`
	Detected map[string]*time.Duration `json:"detected"` // By mode: delay after the start, nil if missed.
}

// Report is the twin's result.
type Report struct {
	Seed      int64                 `json:"seed"`
	Pipelines int                   `json:"pipelines"`
	Days      int                   `json:"days"`
	Faults    int                   `json:"faults"`
	Seconds   float64               `json:"seconds"`
	Modes     map[string]ModeResult `json:"modes"`
	// MTTRReduction is 1 - MTTR(auto)/MTTR(static); nil until the auto
	// mode exists.
	MTTRReduction *float64 `json:"mttr_reduction"`
	// Deadlines scores the runtime's deadline-miss predictions.
	Deadlines DeadlineResult `json:"deadlines"`
	Missing   string         `json:"missing,omitempty"`
	PerFault  []FaultRow     `json:"per_fault"`
}

// episode is an alert group (static) or an incident (detect): when it
// opened, and the pipelines it is about.
type episode struct {
	id        string
	opened    time.Time
	pipelines map[string]bool
	alerts    int // Raw alerts that would each have paged.
}

// Run runs the twin.
func Run(ctx context.Context, opts Options) (Report, error) {
	began := time.Now()
	rep := Report{Seed: opts.Seed, Pipelines: opts.Pipelines, Days: opts.Days, Modes: map[string]ModeResult{}}
	fleet, err := etl.GenerateFleet(opts.Pipelines, opts.Seed)
	if err != nil {
		return rep, err
	}
	start := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	var agents []string
	for i := range opts.Agents + 1 {
		agents = append(agents, fmt.Sprintf("embedded-%02d", i))
	}
	plan, err := chaos.Plan(opts.Seed, chaos.FleetTargets(fleet, agents), start, opts.Days, opts.PerKind)
	if err != nil {
		return rep, err
	}
	truths := &chaos.Truths{}
	inj, err := chaos.New(chaos.Options{Schedule: plan, Truth: truths, Fleet: fleet})
	if err != nil {
		return rep, err
	}
	rep.Faults = len(plan)

	static := newStaticRules()
	det, err := newDetector(fleet)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(opts.Progress, "twin: %d pipelines, %d days, %d faults (seed %d)…\n", opts.Pipelines, opts.Days, len(plan), opts.Seed)
	_, err = etl.Simulate(ctx, etl.SimOptions{
		Pipelines: opts.Pipelines, Days: opts.Days, Seed: opts.Seed, Agents: opts.Agents, Slots: opts.Slots, Start: start,
		Wrap: inj.Wrap,
		// The world is healthy but for the injected faults: the model's
		// own failures and slow attempts would be faults without ground
		// truth. Volumes keep their seasons, noise and growth.
		Model: agent.SimModel{TransientRate: -1, PermanentRate: -1, SlowRate: -1},
		// The runtime's own series reach the static rules; in `vigil serve`
		// they are stored without passing the engine (which judges task
		// runs whole, through Attempts), and so here.
		Samples: static, Events: det, Attempts: det, Freshness: det, Deadlines: det,
		Step: det.step,
	})
	if err != nil {
		return rep, err
	}
	det.finish()

	affected := affectedPipelines(fleet, plan, truths.Records())
	modes := map[string][]episode{"static": static.episodes(), "detect": det.episodes()}
	rows := make([]FaultRow, len(plan))
	for i, f := range plan {
		rows[i] = FaultRow{Fault: f.ID, Kind: f.Kind, Target: f.Target.String(), Start: f.Start, Duration: f.Duration, Detected: map[string]*time.Duration{}}
	}
	for _, name := range []string{"static", "detect"} {
		rep.Modes[name] = score(modes[name], plan, affected, opts, rows, name)
	}
	rep.Deadlines = det.deadlines(15 * time.Minute)
	rep.Missing = "auto mode: needs the remediation engine wired into the twin (issue 6); mttr_reduction is left null"
	rep.PerFault = rows
	rep.Seconds = time.Since(began).Seconds()
	return rep, nil
}

// score matches episodes to faults and sums up a mode.
func score(eps []episode, plan chaos.Schedule, affected map[string]map[string]bool, opts Options, rows []FaultRow, mode string) ModeResult {
	var res ModeResult
	matched := make([]bool, len(eps))
	var ttd, ttr time.Duration
	for i, f := range plan {
		var first *episode
		for k := range eps {
			e := &eps[k]
			if e.opened.Before(f.Start) || e.opened.After(f.End().Add(opts.Grace)) || !overlaps(e.pipelines, affected[f.ID]) {
				continue
			}
			matched[k] = true
			if first == nil || e.opened.Before(first.opened) {
				first = e
			}
		}
		recovered := f.End()
		if first != nil {
			d := first.opened.Sub(f.Start)
			rows[i].Detected[mode] = &d
			ttd += d
			if fixed := first.opened.Add(opts.Ack + opts.Fix); fixed.Before(recovered) {
				recovered = fixed
			}
		} else {
			rows[i].Detected[mode] = nil
			res.MissedFaults++
		}
		ttr += recovered.Sub(f.Start)
	}
	detected := len(plan) - res.MissedFaults
	if detected > 0 {
		res.MTTD = ttd.Seconds() / float64(detected)
	}
	if len(plan) > 0 {
		res.MTTR = ttr.Seconds() / float64(len(plan))
	}
	res.Incidents = len(eps)
	alerts, fp := 0, 0
	for k, e := range eps {
		alerts += e.alerts
		if !matched[k] {
			fp++
		}
	}
	if len(eps) > 0 {
		res.FalsePositiveRate = float64(fp) / float64(len(eps))
		res.AlertsPerIncident = float64(alerts) / float64(len(eps))
	}
	return res
}

func overlaps(a, b map[string]bool) bool {
	for p := range a {
		if b[p] {
			return true
		}
	}
	return false
}

// affectedPipelines returns, per fault, the pipelines it could disturb:
// those its injections struck (from the ground truth), the pipeline or
// producer its target names, and every pipeline downstream of them.
func affectedPipelines(fleet *spec.Fleet, plan chaos.Schedule, truths []chaos.GroundTruth) map[string]map[string]bool {
	lin := fleetgraph.New(fleet)
	producer := map[string]string{}
	for _, p := range fleet.Pipelines() {
		for _, t := range p.Tasks {
			for _, d := range t.Outputs {
				producer[d] = p.Name
			}
		}
	}
	out := map[string]map[string]bool{}
	for _, f := range plan {
		set := map[string]bool{}
		switch f.Target.Type {
		case chaos.TargetPipeline:
			set[f.Target.Name] = true
		case chaos.TargetTask:
			p, _, _ := strings.Cut(f.Target.Name, "/")
			set[p] = true
		case chaos.TargetDataset:
			if p := producer[f.Target.Name]; p != "" {
				set[p] = true
			}
		}
		out[f.ID] = set
	}
	for _, g := range truths {
		if g.Pipeline != "" && out[g.Fault] != nil {
			out[g.Fault][g.Pipeline] = true
		}
	}
	for _, set := range out {
		for p := range maps(set) {
			for _, n := range lin.Downstream("pipeline:" + p) {
				if name, ok := strings.CutPrefix(n, "pipeline:"); ok {
					set[name] = true
				}
			}
		}
	}
	return out
}

// maps returns a copy of set's keys as a set, to range over while set
// grows.
func maps(set map[string]bool) map[string]bool {
	out := make(map[string]bool, len(set))
	for k := range set {
		out[k] = true
	}
	return out
}

// detector is the detect mode: the engine and the incident manager fed as
// in `vigil serve`, on simulated time.
type detector struct {
	eng    *engine.Engine
	mgr    *incident.Manager
	sla    func(string) time.Duration
	opened map[string]*episode
	order  []string
	// predicted is when each run was first predicted to miss its
	// deadline; ended says whether each run with an SLA ended late.
	predicted map[string]time.Time
	deadline  map[string]time.Time
	ended     map[string]bool
	now       time.Time
	lastTik   time.Time
	err       error
}

func newDetector(fleet *spec.Fleet) (*detector, error) {
	lin := fleetgraph.New(fleet)
	cfg := incident.DefaultConfig()
	cfg.MaxResolved = 1 << 20
	mgr, err := incident.New(cfg, lin, lin)
	if err != nil {
		return nil, err
	}
	d := &detector{mgr: mgr, opened: map[string]*episode{},
		predicted: map[string]time.Time{}, deadline: map[string]time.Time{}, ended: map[string]bool{}}
	d.sla = func(p string) time.Duration {
		if ps := fleet.Pipeline(p); ps != nil {
			return ps.SLA.Std()
		}
		return 0
	}
	d.eng = engine.New(engine.Options{Signals: d, MaxSeries: 1 << 20, Registerer: prometheus.NewRegistry()})
	return d, nil
}

// Signal implements engine.SignalSink.
func (d *detector) Signal(sg engine.Signal) { d.process(signals.FromEngine(sg)) }

// Emit implements etl.EventSink.
func (d *detector) Emit(ev lineage.RunEvent) {
	if ev.Run.Facets.Parent == nil && (ev.EventType == lineage.EventComplete || ev.EventType == lineage.EventFail) && ev.Run.Facets.NominalTime != nil {
		if sla := d.sla(ev.Job.Name); sla > 0 {
			id := ev.Job.Name + "/" + ev.Run.Facets.NominalTime.NominalStartTime.UTC().Format(time.RFC3339)
			deadline := ev.Run.Facets.NominalTime.NominalStartTime.Add(sla)
			d.ended[id] = ev.EventTime.After(deadline)
			d.deadline[id] = deadline
		}
	}

	for _, s := range signals.FromRunEvent(ev, d.sla) {
		d.process(s)
	}
}

// Attempt implements etl.AttemptSink.
func (d *detector) Attempt(r etl.AttemptReport) {
	d.eng.ObserveTask(engine.TaskRun{Pipeline: r.Pipeline, Task: r.Task, At: r.Ended, Duration: r.Duration,
		QueueWait: r.QueueWait, CPU: r.CPU, RowsIn: r.RowsIn, RowsOut: r.RowsOut, Bytes: r.Bytes})
}

// Freshness implements etl.FreshnessSink.
func (d *detector) Freshness(r etl.FreshnessReport) { d.process(signals.FromFreshness(r)) }

// Deadline implements etl.DeadlineSink.
func (d *detector) Deadline(r etl.DeadlineReport) {
	if _, ok := d.predicted[r.RunID]; r.Miss && !ok {
		d.predicted[r.RunID] = r.At
	}
	d.process(signals.FromDeadline(r))
}

// deadlines scores the deadline predictions: a miss counts as predicted
// when the prediction came lead before the deadline.
func (d *detector) deadlines(lead time.Duration) DeadlineResult {
	res := DeadlineResult{Lead: lead.Seconds()}
	for id, late := range d.ended {
		at, predicted := d.predicted[id]
		if late {
			res.Misses++
			if predicted && !at.After(d.deadline[id].Add(-lead)) {
				res.Predicted++
			}
		}
		if predicted {
			res.Predictions++
			if !late {
				res.False++
			}
		}
	}
	return res
}

func (d *detector) process(s incident.Signal) {
	ds, err := d.mgr.Process(s)
	if err != nil && d.err == nil {
		d.err = err
	}
	d.decided(ds)
	if !s.Cleared {
		// Every Signal that is not a clearing would have paged on its own.
		if inc := d.incidentOf(s); inc != nil {
			inc.alerts++
		}
	}
}

// incidentOf returns the episode of the incident holding s's alert.
func (d *detector) incidentOf(s incident.Signal) *episode {
	fp := incident.Fingerprint(s)
	// The alert joined a recent incident: look at the latest ones only.
	for i := len(d.order) - 1; i >= max(0, len(d.order)-200); i-- {
		inc, ok := d.mgr.Incident(d.order[i])
		if !ok {
			continue
		}
		for _, a := range inc.Alerts {
			if a.Fingerprint == fp {
				return d.opened[d.order[i]]
			}
		}
	}
	return nil
}

func (d *detector) decided(ds []incident.Decision) {
	for _, dc := range ds {
		if dc.Kind != incident.DecisionOpen {
			continue
		}
		if _, ok := d.opened[dc.Incident]; !ok {
			d.opened[dc.Incident] = &episode{id: dc.Incident, opened: dc.At, pipelines: map[string]bool{}}
			d.order = append(d.order, dc.Incident)
		}
	}
}

// step keeps the incident manager's clock: it ticks it every simulated
// minute at most.
func (d *detector) step(now time.Time) {
	if now.Sub(d.lastTik) >= time.Minute {
		d.lastTik = now
		d.decided(d.mgr.Tick(now))
	}
}

func (d *detector) finish() {}

// episodes returns the incidents, with the pipelines their alerts concern;
// an incident merged into another counts once, as the one it joined.
func (d *detector) episodes() []episode {
	var out []episode
	into := map[string]string{}
	for _, id := range d.order {
		if inc, ok := d.mgr.Incident(id); ok && inc.MergedInto != "" {
			into[id] = inc.MergedInto
		}
	}
	alerts := map[string]int{}
	for _, id := range d.order {
		target := id
		for into[target] != "" {
			target = into[target]
		}
		alerts[target] += d.opened[id].alerts
	}
	for _, id := range d.order {
		inc, ok := d.mgr.Incident(id)
		if !ok || inc.MergedInto != "" {
			continue
		}
		e := *d.opened[id]
		e.alerts = alerts[id]
		for _, a := range inc.Alerts {
			if p := a.Labels["pipeline"]; p != "" {
				e.pipelines[p] = true
			}
			if p, ok := strings.CutPrefix(a.Node, "pipeline:"); ok {
				e.pipelines[p] = true
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b episode) int { return cmp.Or(a.opened.Compare(b.opened), strings.Compare(a.id, b.id)) })
	return out
}
