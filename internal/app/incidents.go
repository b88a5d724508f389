package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/api"
	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/incident/fleetgraph"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/rca"
	"github.com/vigil-aiops/vigil/internal/remediate"
	"github.com/vigil-aiops/vigil/internal/series"
	"github.com/vigil-aiops/vigil/internal/signals"
	"github.com/vigil-aiops/vigil/internal/state"
)

// incidentsKey is where the incident manager's state is kept between runs.
const incidentsKey = "incident/state"

// incidents feeds the engine's Signals to the incident manager, ticks it,
// keeps its state in the state store and serves the incident API. The
// manager itself is a pure state machine; this is its home in the process.
type incidents struct {
	mu     sync.Mutex
	m      *incident.Manager
	store  *state.Store
	meta   state.Meta
	logger *slog.Logger
	queue  chan incident.Signal
	// an announces decisions to receivers; nil without any.
	an *announcer
	// sla returns a pipeline's SLA, zero when it has none.
	sla func(pipeline string) time.Duration

	dropped prometheus.Counter
	// dirty is set when the manager's state changed since it was last
	// saved.
	dirty bool
	// deps is the fleet's dependency graph for root-cause ranking; nil
	// without pipelines.
	deps *rca.Graph
	// auto decides automatic fixes, retry carries out retry_run, audit
	// keeps the decisions; auto is nil without policies.
	auto       *remediate.Automator
	retry      func(ctx context.Context, pipeline, who, why string) error
	audit      auditLog
	autoMetric *prometheus.CounterVec
	// hold, when set, holds or releases an engine series (see
	// engine.Hold).
	hold func(labels map[string]string, on bool)
}

func newIncidents(ctx context.Context, store *state.Store, rt *pipelineRuntime, logger *slog.Logger, reg prometheus.Registerer) (*incidents, error) {
	meta := store.Meta()
	var (
		topo incident.Topology
		cat  incident.Catalog
	)
	var deps *rca.Graph
	if rt != nil {
		g := fleetgraph.New(rt.fleet)
		topo, cat = g, g
		deps = dependencyGraph(rt.fleet)
	}
	cfg := incident.DefaultConfig()
	m, err := incident.New(cfg, topo, cat)
	if err != nil {
		return nil, err
	}
	if b, err := meta.Get(ctx, incidentsKey); err == nil {
		var st incident.State
		if err := json.Unmarshal(b, &st); err != nil {
			logger.Error("incident state not restored; starting empty", "err", err)
		} else if restored, err := incident.Restore(cfg, topo, cat, st); err != nil {
			logger.Error("incident state not restored; starting empty", "err", err)
		} else {
			m = restored
		}
	} else if !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("load incident state: %w", err)
	}
	in := &incidents{m: m, store: store, deps: deps, meta: meta, logger: logger, queue: make(chan incident.Signal, 10000),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_incident_signals_dropped_total",
			Help: "Signals not handed to the incident manager because its queue was full.",
		})}
	in.autoMetric = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_automation_actions_total",
		Help: "Automation decisions by action and result: act, dry_run, blocked, then done or failed for those carried out.",
	}, []string{"action", "result"})
	// Known series start at zero, so that rates and dashboards have them.
	for _, r := range []string{"act", "dry_run", "blocked", "done", "failed"} {
		in.autoMetric.WithLabelValues(remediate.ActionRetryRun, r)
	}
	reg.MustRegister(in.dropped, in.autoMetric)
	return in, nil
}

// Signal implements engine.SignalSink without blocking the engine.
func (in *incidents) Signal(sg engine.Signal) { in.enqueue(signals.FromEngine(sg)) }

// runEvent turns the end of a pipeline run into Signals (see
// signals.FromRunEvent).
func (in *incidents) runEvent(ev lineage.RunEvent) {
	for _, s := range signals.FromRunEvent(ev, in.sla) {
		in.enqueue(s)
	}
}

// freshness turns a dataset going stale into a Signal on its lineage node,
// and its next write into the Signal's clearing.
func (in *incidents) freshness(r etl.FreshnessReport) { in.enqueue(signals.FromFreshness(r)) }

// deadline turns a run predicted to miss its deadline into a prediction
// Signal on its pipeline, withdrawn when the prediction is.
func (in *incidents) deadline(r etl.DeadlineReport) { in.enqueue(signals.FromDeadline(r)) }

func (in *incidents) enqueue(s incident.Signal) {
	select {
	case in.queue <- s:
	default:
		in.dropped.Inc()
	}
}

// rule turns a PromQL alert into a Signal; a resolved alert clears it.
func (in *incidents) rule(ra series.RuleAlert) { in.enqueue(signals.FromRule(ra)) }

// run processes Signals, ticks every few seconds, saves the state within
// ten seconds of a change that decided left to it, and when ctx ends.
func (in *incidents) run(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	save := time.NewTicker(10 * time.Second)
	defer save.Stop()
	// The routing groups are looked at every second: group_wait and the
	// other timings are seconds to hours.
	wake := time.NewTicker(time.Second)
	defer wake.Stop()
	for {
		select {
		case s := <-in.queue:
			in.mu.Lock()
			// A storm arrives faster than one write per Signal could keep
			// up with: what is queued is processed, and recorded, at once.
			var ds []incident.Decision
			for n := 0; ; n++ {
				d, err := in.m.Process(s)
				if err != nil {
					in.logger.Warn("signal refused by the incident manager", "err", err)
				}
				ds = append(ds, d...)
				if n == signalBatch {
					break
				}
				select {
				case s = <-in.queue:
					continue
				default:
				}
				break
			}
			in.decided(ctx, ds, false)
			in.mu.Unlock()
		case now := <-tick.C:
			in.mu.Lock()
			in.decided(ctx, in.m.Tick(now), false)
			acts := in.automate(now)
			in.mu.Unlock()
			in.act(ctx, acts)
		case now := <-wake.C:
			in.mu.Lock()
			in.flush(ctx, now)
			in.mu.Unlock()
		case <-save.C:
			if in.isDirty() {
				in.save(ctx)
			}
		case <-ctx.Done():
			in.save(context.WithoutCancel(ctx))
			return nil
		}
	}
}

// signalBatch bounds the Signals processed before their decisions are
// recorded.
const signalBatch = 1000

// decided makes the manager's decisions durable before anyone hears of
// them: the incident state and the notifications they call for are written
// in one transaction, so that after a crash Vigil neither forgets an
// incident it announced (and opens it again under a new name) nor loses or
// repeats the announcement. Decisions nobody is told of, unless force is
// set (a person's action), are saved with the next periodic save: losing
// them to a crash loses nothing anyone saw. The caller holds in.mu.
func (in *incidents) decided(ctx context.Context, ds []incident.Decision, force bool) {
	if len(ds) == 0 {
		return
	}
	in.holdSeries(ds)
	observed := in.an.observe(in.m, ds)
	var now time.Time
	for _, d := range ds {
		if d.At.After(now) {
			now = d.At
		}
	}
	in.record(ctx, in.an.due(in.m, now), observed || force)
}

// holdSeries tells the engine which of its series are part of an open
// incident, whose detectors then judge without learning, and which are
// not any more.
func (in *incidents) holdSeries(ds []incident.Decision) {
	if in.hold == nil {
		return
	}
	for _, d := range ds {
		inc, ok := in.m.Incident(d.Incident)
		if !ok {
			continue
		}
		open := inc.Resolved == nil && inc.MergedInto == ""
		for _, a := range inc.Alerts {
			if a.Source == "engine" && a.Kind == incident.KindAnomaly {
				in.hold(a.Labels, open)
			}
		}
	}
}

// automate asks the automation policies about every open incident whose
// primary alert fires, records every decision, and returns those to carry
// out. The caller holds in.mu.
func (in *incidents) automate(now time.Time) []remediate.Decision {
	if in.auto == nil {
		return nil
	}
	var acts []remediate.Decision
	for _, inc := range in.m.Incidents() {
		if inc.Resolved != nil || inc.MergedInto != "" {
			continue
		}
		var p *incident.Alert
		for _, a := range inc.Alerts {
			if a.Fingerprint == inc.Primary {
				p = a
			}
		}
		if p == nil || !p.Firing {
			continue
		}
		input := remediate.Input{ID: inc.ID, Kind: string(p.Kind), Severity: string(inc.Severity), Pipeline: p.Labels["pipeline"],
			RootNode: inc.RootNode, Signals: inc.Signals}
		ds, err := in.auto.Decide(now, input)
		if err != nil {
			in.logger.Warn("automation policy failed", "incident", inc.ID, "err", err)
		}
		for _, d := range ds {
			in.audit.add(auditEntry{Decision: d})
			in.autoMetric.WithLabelValues(d.Action, string(d.Outcome)).Inc()
			if d.Outcome == remediate.Act {
				acts = append(acts, d)
			}
		}
	}
	return acts
}

// act carries out the automation's actions, outside in.mu, and records
// each result.
func (in *incidents) act(ctx context.Context, acts []remediate.Decision) {
	for _, d := range acts {
		e := auditEntry{Decision: d, Result: "done"}
		if err := in.retry(ctx, d.Target, "automation:"+d.Policy, d.Reason); err != nil {
			e.Result = "failed: " + err.Error()
			in.autoMetric.WithLabelValues(d.Action, "failed").Inc()
		} else {
			in.autoMetric.WithLabelValues(d.Action, "done").Inc()
		}
		in.audit.add(e)
	}
}

// auditEntry is a decision of the automation, and the result of carrying
// it out when it was.
type auditEntry struct {
	remediate.Decision
	Result string `json:"result,omitempty"`
}

// auditLog keeps the latest automation decisions for the API.
type auditLog struct {
	mu      sync.Mutex
	entries []auditEntry
}

func (l *auditLog) add(e auditEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	if len(l.entries) > 1000 {
		l.entries = slices.Delete(l.entries, 0, len(l.entries)-1000)
	}
}

func (l *auditLog) list() []auditEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// incidentView is an incident with its likely causes.
type incidentView struct {
	incident.Incident
	Causes []causeView `json:"causes,omitempty"`
}

// causeView is a ranked root-cause candidate and the alerts on it.
type causeView struct {
	Node     string   `json:"node"`
	Score    float64  `json:"score"`
	Evidence []string `json:"evidence"`
}

// causes ranks the lineage nodes of inc's alerts as root causes: a random
// walk from the nodes in trouble towards what they depend on, started in
// proportion to the alerts' scores and favouring the earliest onsets.
func (in *incidents) causes(inc incident.Incident) []causeView {
	if in.deps == nil {
		return nil
	}
	anomaly, onset := map[string]float64{}, map[string]float64{}
	evidence := map[string][]string{}
	for _, a := range inc.Alerts {
		if a.Node == "" {
			continue
		}
		anomaly[a.Node] = max(anomaly[a.Node], a.MaxScore, 0.01)
		t := a.FirstAt.Sub(inc.OpenedAt).Minutes()
		if o, ok := onset[a.Node]; !ok || t < o {
			onset[a.Node] = t
		}
		evidence[a.Node] = append(evidence[a.Node], fmt.Sprintf("%s: %s", a.Kind, a.Evidence))
	}
	ranked, err := in.deps.RankGraph(anomaly, onset)
	if err != nil {
		return nil
	}
	out := make([]causeView, 0, len(ranked))
	for _, r := range ranked {
		out = append(out, causeView{Node: r.Node, Score: r.Score, Evidence: evidence[r.Node]})
	}
	return out
}

// dependencyGraph is the fleet's lineage as a dependency graph: every
// node depends on its parents.
func dependencyGraph(f *spec.Fleet) *rca.Graph {
	g := rca.NewGraph()
	lg := f.Graph()
	for _, n := range lg.Nodes() {
		g.AddNode(string(n), 1)
	}
	for _, n := range lg.Nodes() {
		for _, p := range lg.Parents(n) {
			_ = g.AddEdge(string(n), string(p)) // Both are nodes of the graph.
		}
	}
	return g
}

// flush queues what the routing groups let out at now.
func (in *incidents) flush(ctx context.Context, now time.Time) {
	if at, ok := in.an.nextWake(); !ok || now.Before(at) {
		return
	}
	in.record(ctx, in.an.due(in.m, now), false)
}

// record writes the incident state, the routing groups and the
// notifications qs in one transaction, when there are notifications or
// force is set; otherwise it leaves the state to the periodic save. The
// caller holds in.mu.
func (in *incidents) record(ctx context.Context, qs []queued, force bool) {
	if len(qs) == 0 && !force {
		in.dirty = true
		return
	}
	// A request that ends must not undo what the manager decided.
	ctx = context.WithoutCancel(ctx)
	b, err := json.Marshal(in.m.Snapshot())
	if err == nil {
		err = in.store.InTx(ctx, func(tx *state.Tx) error {
			if err := tx.Meta().Put(ctx, incidentsKey, b); err != nil {
				return err
			}
			return in.an.enqueue(ctx, tx, qs)
		})
	}
	if err != nil {
		in.dirty = true
		in.logger.Error("record incident decisions", "notifications", len(qs), "err", err)
		return
	}
	in.dirty = false
}

func (in *incidents) isDirty() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.dirty
}

// save writes the manager's state. It holds in.mu throughout, so that an
// older state never overwrites a newer one that decided wrote meanwhile.
func (in *incidents) save(ctx context.Context) {
	in.mu.Lock()
	defer in.mu.Unlock()
	b, err := json.Marshal(in.m.Snapshot())
	if err == nil {
		err = in.meta.Put(ctx, incidentsKey, b)
	}
	if err != nil {
		in.logger.Error("save incident state", "err", err)
		return
	}
	in.dirty = false
}

// routes serves GET /api/v1/incidents[/{id}] and the lifecycle actions,
// which record the caller's token name and the reason given.
func (in *incidents) routes() []api.Route {
	read := func(w http.ResponseWriter, r *http.Request) {
		in.mu.Lock()
		defer in.mu.Unlock()
		id := r.PathValue("id")
		if id == "" {
			writeAPIJSON(w, http.StatusOK, in.m.Incidents())
			return
		}
		inc, ok := in.m.Incident(id)
		if !ok {
			writeAPIJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no incident %q", id)})
			return
		}
		writeAPIJSON(w, http.StatusOK, incidentView{Incident: inc, Causes: in.causes(inc)})
	}
	action := func(do func(id, by string, body actionBody, at time.Time) ([]incident.Decision, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body actionBody
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Reason == "" {
				writeAPIJSON(w, http.StatusBadRequest, map[string]string{"error": `a JSON body with "reason" is required`})
				return
			}
			in.mu.Lock()
			ds, err := do(r.PathValue("id"), api.Caller(r.Context()), body, time.Now())
			in.decided(r.Context(), ds, true)
			in.mu.Unlock()
			switch {
			case errors.Is(err, incident.ErrNotFound):
				writeAPIJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			case errors.Is(err, incident.ErrInvalid), errors.Is(err, incident.ErrConflict):
				writeAPIJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			case err != nil:
				writeAPIJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			default:
				w.WriteHeader(http.StatusNoContent)
			}
		}
	}
	return []api.Route{
		{Pattern: "GET /api/v1/incidents", Name: "incidents", Role: config.RoleViewer, Handler: http.HandlerFunc(read)},
		{Pattern: "GET /api/v1/automation", Name: "automation", Role: config.RoleViewer, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeAPIJSON(w, http.StatusOK, in.audit.list())
		})},
		{Pattern: "GET /api/v1/incidents/{id}", Name: "incident", Role: config.RoleViewer, Handler: http.HandlerFunc(read)},
		{Pattern: "POST /api/v1/incidents/{id}/acknowledge", Name: "incident_ack", Role: config.RoleOperator,
			Handler: action(func(id, by string, b actionBody, at time.Time) ([]incident.Decision, error) {
				return in.m.Acknowledge(id, by, b.Reason, at)
			})},
		{Pattern: "POST /api/v1/incidents/{id}/resolve", Name: "incident_resolve", Role: config.RoleOperator,
			Handler: action(func(id, by string, b actionBody, at time.Time) ([]incident.Decision, error) {
				return in.m.Resolve(id, by, b.Reason, at)
			})},
		{Pattern: "POST /api/v1/incidents/{id}/feedback", Name: "incident_feedback", Role: config.RoleOperator,
			Handler: action(func(id, by string, b actionBody, at time.Time) ([]incident.Decision, error) {
				return in.m.Feedback(id, incident.Feedback{Verdict: incident.Verdict(b.Verdict), By: by, At: at, Note: b.Reason, DuplicateOf: b.DuplicateOf})
			})},
	}
}

// actionBody is the body of a lifecycle action.
type actionBody struct {
	Reason      string `json:"reason"`
	Verdict     string `json:"verdict"`
	DuplicateOf string `json:"duplicate_of"`
}

func writeAPIJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
