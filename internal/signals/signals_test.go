package signals

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/detect"
	"github.com/vigil-aiops/vigil/internal/engine"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/lineage"
)

func TestConversions(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s := FromEngine(engine.Signal{Kind: engine.KindAnomaly, Subject: `rows{pipeline="orders"}`, Labels: map[string]string{"pipeline": "orders"},
		At: at, Observed: 9, Expected: detect.Range{Low: 1, High: 2}, Score: 0.9, Detectors: "level"})
	if s.Kind != incident.KindAnomaly || s.Node != "pipeline:orders" || !strings.Contains(s.Evidence, "observed 9, expected 1 to 2") {
		t.Errorf("engine: %+v", s)
	}
	if s := FromEngine(engine.Signal{Kind: engine.KindAnomaly, Subject: "x", At: at, Evidence: "said", Cleared: true}); s.Evidence != "said" || !s.Cleared || s.Node != "" {
		t.Errorf("engine with evidence: %+v", s)
	}

	nominal := at.Add(-2 * time.Hour)
	ev := lineage.RunEvent{EventType: lineage.EventComplete, EventTime: at}
	ev.Job.Name = "orders"
	ev.Run.Facets.NominalTime = &lineage.NominalTimeRunFacet{NominalStartTime: nominal}
	ss := FromRunEvent(ev, func(string) time.Duration { return time.Hour })
	if len(ss) != 2 || ss[0].Kind != incident.KindRunFailure || !ss[0].Cleared || ss[1].Kind != incident.KindLateness || ss[1].Cleared {
		t.Fatalf("a run that completed an hour late: %+v", ss)
	}
	ev.EventType = lineage.EventStart
	if ss := FromRunEvent(ev, nil); len(ss) != 0 {
		t.Errorf("a start: %+v", ss)
	}

	f := FromFreshness(etl.FreshnessReport{Dataset: "w.orders", Pipeline: "orders", At: at, LastWrite: at.Add(-3 * time.Hour), Age: 3 * time.Hour, Budget: time.Hour, Stale: true})
	if f.Kind != incident.KindFreshness || f.Node != "dataset:w.orders" || f.Cleared || !strings.Contains(f.Evidence, "freshness budget 1h0m0s") {
		t.Errorf("freshness: %+v", f)
	}
	d := FromDeadline(etl.DeadlineReport{Pipeline: "orders", At: at, Logical: nominal, Deadline: at.Add(10 * time.Minute), PredictedEnd: at.Add(25 * time.Minute), Miss: true, Remaining: "load (20m0s)"})
	if d.Kind != incident.KindPrediction || d.Cleared || !strings.Contains(d.Evidence, "15m0s after its deadline") || !strings.Contains(d.Evidence, "load (20m0s)") {
		t.Errorf("deadline: %+v", d)
	}
	if d := FromDeadline(etl.DeadlineReport{Pipeline: "orders", At: at}); !d.Cleared {
		t.Errorf("withdrawn deadline: %+v", d)
	}
}
