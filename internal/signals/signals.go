// Package signals turns what Vigil's parts report — the engine's anomalies,
// drifts and predictions, the runtime's run events, stale datasets and
// deadline predictions, the alerting rules — into the incident manager's
// Signals, with the lineage node each concerns and a sentence of evidence.
// `vigil serve` and the digital twin use the same conversions, so that the
// twin measures what the server does.
package signals

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/series"
)

// FromEngine converts an engine Signal; one about a pipeline's series is
// placed on the pipeline's lineage node.
func FromEngine(sg engine.Signal) incident.Signal {
	s := incident.Signal{
		Kind: incident.Kind(sg.Kind), Source: "engine", Subject: sg.Subject, Labels: sg.Labels,
		Score: sg.Score, At: sg.At, Cleared: sg.Cleared, Evidence: sg.Evidence,
	}
	if s.Evidence == "" {
		s.Evidence = fmt.Sprintf("observed %g, expected %g to %g; fired: %s", sg.Observed, sg.Expected.Low, sg.Expected.High, sg.Detectors)
	}
	if p := sg.Labels["pipeline"]; p != "" {
		s.Node = "pipeline:" + p
	}
	return s
}

// FromRunEvent converts the end of a pipeline run: a failed run fires a
// run_failure on the pipeline's node and a completed one clears it; a run
// that ended after its SLA (sla returns a pipeline's, zero for none) is
// also a lateness Signal, and one that ended in time clears it. Task
// events (those with a parent run) give nothing: the run speaks for them.
func FromRunEvent(ev lineage.RunEvent, sla func(pipeline string) time.Duration) []incident.Signal {
	if ev.Run.Facets.Parent != nil {
		return nil
	}
	var cleared bool
	switch ev.EventType {
	case lineage.EventFail:
	case lineage.EventComplete:
		cleared = true
	default:
		return nil
	}
	s := incident.Signal{Kind: incident.KindRunFailure, Source: "etl", Subject: "pipeline " + ev.Job.Name,
		Labels: map[string]string{"pipeline": ev.Job.Name}, Score: 1, At: ev.EventTime, Node: "pipeline:" + ev.Job.Name, Cleared: cleared}
	if em := ev.Run.Facets.ErrorMessage; em != nil {
		s.Evidence = em.Message
	}
	out := []incident.Signal{s}
	nt := ev.Run.Facets.NominalTime
	if sla == nil || nt == nil {
		return out
	}
	if d := sla(ev.Job.Name); d > 0 {
		late := ev.EventTime.Sub(nt.NominalStartTime)
		out = append(out, incident.Signal{Kind: incident.KindLateness, Source: "etl", Subject: "pipeline " + ev.Job.Name + " SLA",
			Labels: map[string]string{"pipeline": ev.Job.Name}, Score: 1, At: ev.EventTime, Node: "pipeline:" + ev.Job.Name,
			Cleared: late <= d, Evidence: fmt.Sprintf("run for %s ended %s after its scheduled time; SLA %s", nt.NominalStartTime.Format(time.RFC3339), late.Round(time.Second), d)})
	}
	return out
}

// FromFreshness converts a dataset going stale, or fresh again, into a
// freshness Signal on the dataset's lineage node, or its clearing.
func FromFreshness(r etl.FreshnessReport) incident.Signal {
	return incident.Signal{Kind: incident.KindFreshness, Source: "etl", Subject: "dataset " + r.Dataset,
		Labels: map[string]string{"dataset": r.Dataset, "pipeline": r.Pipeline}, Score: 1, At: r.At,
		Node: "dataset:" + r.Dataset, Cleared: !r.Stale,
		Evidence: fmt.Sprintf("last written %s ago (%s), freshness budget %s", r.Age.Round(time.Second), r.LastWrite.Format(time.RFC3339), r.Budget)}
}

// FromDeadline converts a run predicted to miss its deadline into a
// prediction Signal on its pipeline, or its withdrawal into the clearing.
func FromDeadline(r etl.DeadlineReport) incident.Signal {
	s := incident.Signal{Kind: incident.KindPrediction, Source: "etl", Subject: "pipeline " + r.Pipeline + " deadline",
		Labels: map[string]string{"pipeline": r.Pipeline}, Score: 0.8, At: r.At, Node: "pipeline:" + r.Pipeline, Cleared: !r.Miss}
	if r.Miss {
		s.Evidence = fmt.Sprintf("run for %s predicted to end at %s, %s after its deadline %s (%s from now); still to run: %s",
			r.Logical.Format(time.RFC3339), r.PredictedEnd.Format(time.RFC3339), r.PredictedEnd.Sub(r.Deadline).Round(time.Second),
			r.Deadline.Format(time.RFC3339), r.Deadline.Sub(r.At).Round(time.Second), r.Remaining)
	}
	return s
}

// FromRule converts an alerting rule's alert; a resolved one clears it.
func FromRule(ra series.RuleAlert) incident.Signal {
	keys := make([]string, 0, len(ra.Labels))
	for k := range ra.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	subject := ra.Name
	for _, k := range keys {
		subject += "," + k + "=" + ra.Labels[k]
	}
	s := incident.Signal{Kind: incident.KindRule, Source: "rules", Subject: subject, Labels: ra.Labels, Score: 1,
		At: ra.ActiveAt, Cleared: !ra.Firing, Evidence: strings.TrimSpace(ra.Annotations["summary"] + " (" + ra.Expr + ")")}
	if !ra.Firing {
		s.At = ra.ResolvedAt
	}
	if p := ra.Labels["pipeline"]; p != "" {
		s.Node = "pipeline:" + p
	}
	return s
}
