package twin

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl"
)

// The static rules, as a team would write them in PromQL:
//
//	PipelineRunFailed: increase(vigil_etl_runs_total{state="failed"}[10m]) > 0
//	PipelineRunTooLong: vigil_etl_run_duration_seconds > 3600
//	TaskWroteNoRows:   vigil_etl_task_rows_out == 0
//	                     and on(pipeline, task) max_over_time(vigil_etl_task_rows_out[1w]) > 0
//	DatasetStale:      vigil_etl_dataset_freshness_seconds > 6 * 3600
//
// each routed by Alertmanager grouped by alertname and pipeline: a group
// that fires is one page, and it resolves after resolveAfter without the
// rule firing.
const (
	runTooLong   = time.Hour
	staleAfter   = 6 * time.Hour
	resolveAfter = 30 * time.Minute
)

type staticGroup struct {
	ep       *episode
	lastFire time.Time
	// instances are the alerts (rule and label set) firing in the group;
	// each would have been one alert without the grouping.
	instances map[string]bool
}

// staticRules evaluates the rules on the runtime's samples as they come.
type staticRules struct {
	firing map[string]*staticGroup // By alertname and pipeline.
	all    []*episode
	wrote  map[string]bool // Tasks that have written rows.
}

func newStaticRules() *staticRules {
	return &staticRules{firing: map[string]*staticGroup{}, wrote: map[string]bool{}}
}

// Write implements etl.SampleWriter.
func (r *staticRules) Write(name string, labels map[string]string, t time.Time, v float64) {
	var alert string
	switch {
	case name == etl.MetricRunsTotal && labels["state"] == "failed":
		alert = "PipelineRunFailed"
	case name == etl.MetricRunDuration && v > runTooLong.Seconds():
		alert = "PipelineRunTooLong"
	case name == etl.MetricTaskRowsOut:
		// Tasks that never write rows (checks) would page on every run.
		key := labels["pipeline"] + "/" + labels["task"]
		wrote := r.wrote[key]
		r.wrote[key] = wrote || v > 0
		if v != 0 || !wrote {
			return
		}
		alert = "TaskWroteNoRows"
	case name == etl.MetricDatasetFreshness && v > staleAfter.Seconds():
		alert = "DatasetStale"
	default:
		return
	}
	p := labels["pipeline"]
	key := alert + "\x00" + p
	g := r.firing[key]
	if g != nil && t.Sub(g.lastFire) > resolveAfter {
		g = nil // Resolved meanwhile: a new page.
	}
	if g == nil {
		g = &staticGroup{ep: &episode{id: alert + "/" + p + "/" + t.UTC().Format(time.RFC3339), opened: t, pipelines: map[string]bool{p: true}},
			instances: map[string]bool{}}
		r.firing[key] = g
		r.all = append(r.all, g.ep)
	}
	if inst := instance(labels); !g.instances[inst] {
		g.instances[inst] = true
		g.ep.alerts++
	}
	g.lastFire = t
}

func (r *staticRules) episodes() []episode {
	out := make([]episode, 0, len(r.all))
	for _, e := range r.all {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b episode) int { return cmp.Or(a.opened.Compare(b.opened), strings.Compare(a.id, b.id)) })
	return out
}

// instance identifies an alert's label set.
func instance(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + labels[k] + ",")
	}
	return b.String()
}
