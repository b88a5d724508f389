package incident

import (
	"math"
	"strings"
)

// Severity is how urgent an incident is, in PagerDuty's terms.
type Severity string

// The severities, from least to most urgent.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityError    Severity = "error"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: 0 for none, 1 for info up to 4 for critical.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// NodeKind says what a lineage node stands for.
type NodeKind string

// The node kinds, matching the prefixes of the lineage graph's node IDs.
const (
	NodePipeline NodeKind = "pipeline"
	NodeDataset  NodeKind = "dataset"
	NodeTask     NodeKind = "task"
	NodeOther    NodeKind = "other"
)

// NodeInfo is what severity needs to know about a lineage node.
type NodeInfo struct {
	Kind NodeKind
	// Critical marks a node whose failure hurts the business.
	Critical bool
	// SLA marks a pipeline with a service-level agreement.
	SLA bool
}

// Catalog tells the criticality of lineage nodes.
type Catalog interface {
	Node(id string) NodeInfo
}

// kindOf infers a node's kind from the prefix of its ID, for a Manager
// without a Catalog.
func kindOf(id string) NodeKind {
	k, _, ok := strings.Cut(id, ":")
	switch NodeKind(k) {
	case NodePipeline, NodeDataset, NodeTask:
		if ok {
			return NodeKind(k)
		}
	}
	return NodeOther
}

// SeverityConfig tunes the severity formula.
//
// The formula: the signal part is 4 × the greatest weighted score of the
// incident's firing, unsuppressed alerts, where the weighted score is the
// alert's Score (clamped to [0, 1]) times the weight of its kind (KindWeight,
// default 1). The blast part is log2(1 + B), where B sums over the root's
// node and every node downstream of it: Pipeline for a pipeline (plus SLA
// when it has an SLA), Dataset for a dataset, nothing for tasks and other
// nodes, each doubled when the node is critical. Impact = signal + blast,
// and the severity is critical from Critical, error from Error, warning
// from Warning, info below. With the defaults, a certain run failure
// (signal 4) on a dataset that feeds nothing (B = 0.5) is an error; the
// same failure feeding one SLA pipeline (B = 3.5, blast ≈ 2.2) is
// critical; an anomaly scored 0.5 (signal 1.6) on a dataset feeding three
// pipelines (B = 3.5) is a warning.
type SeverityConfig struct {
	KindWeight map[Kind]float64 `json:"kind_weight,omitempty"`
	Pipeline   float64          `json:"pipeline"`
	SLA        float64          `json:"sla"`
	Dataset    float64          `json:"dataset"`
	Critical   float64          `json:"critical"`
	Error      float64          `json:"error"`
	Warning    float64          `json:"warning"`
}

// DefaultSeverityConfig returns the default weights and thresholds.
func DefaultSeverityConfig() SeverityConfig {
	return SeverityConfig{
		KindWeight: map[Kind]float64{
			KindRunFailure: 1, KindFreshness: 0.9, KindLateness: 0.8,
			KindRule: 1, KindAnomaly: 0.8, KindDrift: 0.6, KindPrediction: 0.7,
		},
		Pipeline: 1, SLA: 2, Dataset: 0.5,
		Critical: 6, Error: 4, Warning: 2,
	}
}

// withDefaults fills the zero fields of c.
func (c SeverityConfig) withDefaults() SeverityConfig {
	d := DefaultSeverityConfig()
	if c.KindWeight == nil {
		c.KindWeight = d.KindWeight
	}
	for _, p := range []struct {
		v *float64
		d float64
	}{
		{&c.Pipeline, d.Pipeline}, {&c.SLA, d.SLA}, {&c.Dataset, d.Dataset},
		{&c.Critical, d.Critical}, {&c.Error, d.Error}, {&c.Warning, d.Warning},
	} {
		if *p.v == 0 {
			*p.v = p.d
		}
	}
	return c
}

// Blast is the blast radius of an incident's root.
type Blast struct {
	Pipelines    int     `json:"pipelines"`
	SLAPipelines int     `json:"sla_pipelines"`
	Datasets     int     `json:"datasets"`
	Critical     int     `json:"critical"`
	Weight       float64 `json:"weight"`
}

// blastOf measures the blast radius of root from its downstream nodes.
func (c SeverityConfig) blastOf(root string, down []string, cat Catalog) Blast {
	var b Blast
	if root == "" {
		return b
	}
	for _, id := range append([]string{root}, down...) {
		info := NodeInfo{Kind: kindOf(id)}
		if cat != nil {
			info = cat.Node(id)
		}
		w := 0.0
		switch info.Kind {
		case NodePipeline:
			b.Pipelines++
			w = c.Pipeline
			if info.SLA {
				b.SLAPipelines++
				w += c.SLA
			}
		case NodeDataset:
			b.Datasets++
			w = c.Dataset
		}
		if info.Critical {
			b.Critical++
			w *= 2
		}
		b.Weight += w
	}
	return b
}

// severity rates an incident from its alerts and blast radius.
func (c SeverityConfig) severity(inc *Incident) Severity {
	best := 0.0
	for _, a := range inc.Alerts {
		if !a.Firing || a.Suppressed != "" {
			continue
		}
		w, ok := c.KindWeight[a.Kind]
		if !ok {
			w = 1
		}
		best = max(best, w*clamp01(a.Score))
	}
	impact := 4*best + math.Log2(1+inc.Blast.Weight)
	switch {
	case impact >= c.Critical:
		return SeverityCritical
	case impact >= c.Error:
		return SeverityError
	case impact >= c.Warning:
		return SeverityWarning
	}
	return SeverityInfo
}

// clamp01 clamps v to [0, 1], treating NaN as 0.
func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(1, max(0, v))
}
