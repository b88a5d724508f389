package incident

import (
	"math"
	"testing"
)

// fakeCatalog marks nodes critical or with an SLA by their ID.
type fakeCatalog struct {
	critical, sla map[string]bool
}

func (c fakeCatalog) Node(id string) NodeInfo {
	return NodeInfo{Kind: kindOf(id), Critical: c.critical[id], SLA: c.sla[id]}
}

func TestSeverity(t *testing.T) {
	cfg := DefaultSeverityConfig()
	tests := []struct {
		name  string
		kind  Kind
		score float64
		root  string
		down  []string
		cat   Catalog
		want  Severity
	}{
		{"failure feeding nothing", KindRunFailure, 1, "dataset:a", nil, nil, SeverityError},
		{"failure feeding an SLA pipeline", KindRunFailure, 1, "dataset:a", []string{"pipeline:p"},
			fakeCatalog{sla: map[string]bool{"pipeline:p": true}}, SeverityCritical},
		{"half-sure anomaly feeding three pipelines", KindAnomaly, 0.5, "dataset:a",
			[]string{"pipeline:p", "pipeline:q", "pipeline:r"}, nil, SeverityWarning},
		{"weak anomaly, no lineage", KindAnomaly, 0.3, "", nil, nil, SeverityInfo},
		{"critical datasets raise the radius", KindAnomaly, 0.5, "dataset:a",
			[]string{"dataset:b", "dataset:c", "pipeline:p", "pipeline:q", "pipeline:r"},
			fakeCatalog{critical: map[string]bool{"pipeline:p": true, "pipeline:q": true, "pipeline:r": true}}, SeverityError},
		{"tasks weigh nothing", KindDrift, 1, "task:p/t", []string{"task:p/u"}, nil, SeverityWarning},
		{"NaN score", KindRunFailure, math.NaN(), "", nil, nil, SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := &Incident{
				Alerts: []*Alert{{Kind: tt.kind, Score: tt.score, Firing: true}},
				Blast:  cfg.blastOf(tt.root, tt.down, tt.cat),
			}
			if got := cfg.severity(inc); got != tt.want {
				t.Errorf("severity = %s, want %s (blast %+v)", got, tt.want, inc.Blast)
			}
		})
	}
}

func TestSeverityIgnoresSuppressedAndCleared(t *testing.T) {
	cfg := DefaultSeverityConfig()
	inc := &Incident{Alerts: []*Alert{
		{Kind: KindRunFailure, Score: 1, Firing: true, Suppressed: "silence:s"},
		{Kind: KindRunFailure, Score: 1},
		{Kind: KindAnomaly, Score: 0.7, Firing: true},
	}}
	if got := cfg.severity(inc); got != SeverityWarning {
		t.Errorf("severity = %s, want warning", got)
	}
}

func TestBlastCounts(t *testing.T) {
	cat := fakeCatalog{sla: map[string]bool{"pipeline:p": true}, critical: map[string]bool{"dataset:b": true}}
	b := DefaultSeverityConfig().blastOf("dataset:a", []string{"pipeline:p", "dataset:b", "task:p/x", "pipeline:q"}, cat)
	want := Blast{Pipelines: 2, SLAPipelines: 1, Datasets: 2, Critical: 1, Weight: 0.5 + 3 + 1 + 1}
	if b != want {
		t.Errorf("blast %+v, want %+v", b, want)
	}
}
