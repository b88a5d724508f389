package incident

import (
	"fmt"
	"time"
)

// Kind says what sort of trouble a Signal reports.
type Kind string

// The Signal kinds.
const (
	// KindAnomaly is an unusual value of a series.
	KindAnomaly Kind = "anomaly"
	// KindDrift is a lasting change of a series' level or shape.
	KindDrift Kind = "drift"
	// KindRunFailure is a failed pipeline run or task.
	KindRunFailure Kind = "run_failure"
	// KindLateness is a run that has not finished when it should have.
	KindLateness Kind = "lateness"
	// KindFreshness is a dataset that has not been updated in time.
	KindFreshness Kind = "freshness"
	// KindRule is an alerting rule that fired.
	KindRule Kind = "rule"
	// KindPrediction is trouble forecast ahead of time, such as a disk that
	// will fill up or a run that will miss its deadline.
	KindPrediction Kind = "prediction"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindAnomaly, KindDrift, KindRunFailure, KindLateness, KindFreshness, KindRule, KindPrediction:
		return true
	}
	return false
}

// Signal is one observation that something may be wrong, as the engine,
// the rules and the runtime report it. The incident manager does not depend
// on where a Signal comes from; the caller adapts its sources to this type.
type Signal struct {
	Kind Kind `json:"kind"`
	// Source names what produced the Signal, such as "engine" or a rule
	// group.
	Source string `json:"source"`
	// Subject names what the Signal is about, such as a series or a run.
	Subject string            `json:"subject"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Score is how sure or how bad, in [0, 1]; values outside are clamped.
	Score float64   `json:"score"`
	At    time.Time `json:"at"`
	// Node is the lineage node the Signal concerns, such as
	// "dataset:warehouse.raw_orders", or empty.
	Node string `json:"node,omitempty"`
	// Evidence is what a person needs to check the Signal.
	Evidence string `json:"evidence,omitempty"`
	// Cleared marks the end of the condition an earlier Signal with the same
	// fingerprint reported.
	Cleared bool `json:"cleared,omitempty"`
}

// validate reports why s cannot be processed.
func (s Signal) validate() error {
	if !s.Kind.Valid() {
		return fmt.Errorf("signal kind %q: %w", s.Kind, ErrInvalid)
	}
	if s.Subject == "" && s.Node == "" {
		return fmt.Errorf("signal without subject or node: %w", ErrInvalid)
	}
	if s.At.IsZero() {
		return fmt.Errorf("signal without time: %w", ErrInvalid)
	}
	return nil
}

// Reserved label names let matchers select on a Signal's fields as well as
// its labels.
const (
	LabelKind    = "__kind__"
	LabelSource  = "__source__"
	LabelSubject = "__subject__"
	LabelNode    = "__node__"
)

// matchLabels returns the labels matchers see: the Signal's labels plus
// its fields under the reserved names.
func matchLabels(kind Kind, source, subject, node string, labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+4)
	for k, v := range labels {
		out[k] = v
	}
	out[LabelKind] = string(kind)
	out[LabelSource] = source
	out[LabelSubject] = subject
	out[LabelNode] = node
	return out
}
