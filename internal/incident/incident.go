package incident

import (
	"maps"
	"slices"
	"time"
)

// Status is where an incident is in its lifecycle.
type Status string

// The statuses.
const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// Role says how an alert relates to its incident.
type Role string

// The roles.
const (
	// RolePrimary is the incident's root: the most upstream, earliest alert.
	RolePrimary Role = "primary"
	// RoleSymptom is an alert on a node downstream of the root.
	RoleSymptom Role = "symptom"
	// RoleMember is an alert grouped with the incident by its labels.
	RoleMember Role = "member"
)

// Alert is one fingerprint within an incident: the Signals that share it,
// counted, with the latest values.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Kind        Kind              `json:"kind"`
	Source      string            `json:"source"`
	Subject     string            `json:"subject"`
	Node        string            `json:"node,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Role        Role              `json:"role"`
	// Count is how many firing Signals arrived with this fingerprint.
	Count    int       `json:"count"`
	FirstAt  time.Time `json:"first_at"`
	LastAt   time.Time `json:"last_at"`
	Score    float64   `json:"score"`
	MaxScore float64   `json:"max_score"`
	Evidence string    `json:"evidence,omitempty"`
	Firing   bool      `json:"firing"`
	// FiringSince is when the current firing episode began.
	FiringSince time.Time `json:"firing_since"`
	ClearedAt   time.Time `json:"cleared_at,omitzero"`
	// Clears holds the most recent times the alert cleared, for flap
	// detection; it holds at most Config.FlapThreshold entries.
	Clears []time.Time `json:"clears,omitempty"`
	// Suppressed names what keeps the alert from notifying:
	// "silence:<id>", "inhibited:<fingerprint>", or empty.
	Suppressed string `json:"suppressed,omitempty"`
}

// Transition records who moved an incident to a status, when and why.
type Transition struct {
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Why string    `json:"why"`
}

// Verdict is a person's judgement of an incident.
type Verdict string

// The verdicts.
const (
	TruePositive  Verdict = "true_positive"
	FalsePositive Verdict = "false_positive"
	Duplicate     Verdict = "duplicate"
)

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool {
	return v == TruePositive || v == FalsePositive || v == Duplicate
}

// Feedback is a person's judgement of an incident, stored for learning.
type Feedback struct {
	Verdict Verdict   `json:"verdict"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
	// DuplicateOf names the incident this one duplicates, for Duplicate.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// Incident is a group of alerts with one cause, as far as Vigil can tell.
type Incident struct {
	ID       string `json:"id"`
	GroupKey string `json:"group_key"`
	Status   Status `json:"status"`
	// Primary is the fingerprint of the root alert.
	Primary string `json:"primary"`
	// RootNode is the lineage node of the root alert, or empty.
	RootNode string    `json:"root_node,omitempty"`
	OpenedAt time.Time `json:"opened_at"`
	// LastAt is when the incident last received a firing Signal.
	LastAt   time.Time `json:"last_at"`
	Severity Severity  `json:"severity"`
	Blast    Blast     `json:"blast"`
	// Alerts holds at most Config.MaxAlertsPerIncident alerts, in the
	// order they joined.
	Alerts []*Alert `json:"alerts"`
	// Signals counts every firing Signal the incident received.
	Signals int `json:"signals"`
	// Overflow counts the firing Signals of fingerprints that did not fit
	// in Alerts, by kind.
	Overflow map[Kind]int `json:"overflow,omitempty"`
	Flapping bool         `json:"flapping"`
	// Notified is the severity last notified, or empty.
	Notified     Severity    `json:"notified,omitempty"`
	NotifiedAt   time.Time   `json:"notified_at,omitzero"`
	Acknowledged *Transition `json:"acknowledged,omitempty"`
	Resolved     *Transition `json:"resolved,omitempty"`
	Feedback     *Feedback   `json:"feedback,omitempty"`
	// MergedInto names the incident that absorbed this one when a common
	// upstream root appeared; its alerts moved there.
	MergedInto string `json:"merged_into,omitempty"`

	// Seq numbers incidents in the order they opened, for deterministic tie
	// breaks.
	Seq int `json:"seq"`
}

// active reports whether the incident still takes Signals.
func (inc *Incident) active() bool { return inc.Status != StatusResolved }

// addOverflow counts n Signals of kind that did not fit in Alerts.
func (inc *Incident) addOverflow(kind Kind, n int) {
	if inc.Overflow == nil {
		inc.Overflow = map[Kind]int{}
	}
	inc.Overflow[kind] += n
}

// primary returns the root alert, or nil.
func (inc *Incident) primary() *Alert {
	for _, a := range inc.Alerts {
		if a.Fingerprint == inc.Primary {
			return a
		}
	}
	return nil
}

// clone returns a deep copy of inc, for callers.
func (inc *Incident) clone() Incident {
	c := *inc
	c.Alerts = make([]*Alert, len(inc.Alerts))
	for i, a := range inc.Alerts {
		ac := *a
		ac.Labels = maps.Clone(a.Labels)
		ac.Clears = slices.Clone(a.Clears)
		c.Alerts[i] = &ac
	}
	c.Overflow = maps.Clone(inc.Overflow)
	if inc.Acknowledged != nil {
		t := *inc.Acknowledged
		c.Acknowledged = &t
	}
	if inc.Resolved != nil {
		t := *inc.Resolved
		c.Resolved = &t
	}
	if inc.Feedback != nil {
		f := *inc.Feedback
		c.Feedback = &f
	}
	return c
}
