package incident

import "time"

// DecisionKind says what a Decision asks the caller to record or do.
type DecisionKind string

// The decision kinds.
const (
	// DecisionOpen records a new incident.
	DecisionOpen DecisionKind = "open"
	// DecisionUpdate records a change: a new alert, a new root, a new
	// severity, a change of suppression.
	DecisionUpdate DecisionKind = "update"
	// DecisionNotify asks the caller to tell people about the incident.
	DecisionNotify DecisionKind = "notify"
	// DecisionFlapping records that the incident started flapping; it is
	// not re-notified while flapping.
	DecisionFlapping DecisionKind = "flapping"
	// DecisionStable records that the incident stopped flapping.
	DecisionStable DecisionKind = "stable"
	// DecisionAcknowledge records an acknowledgement.
	DecisionAcknowledge DecisionKind = "acknowledge"
	// DecisionResolve records a resolution, by a person or automatic.
	DecisionResolve DecisionKind = "resolve"
	// DecisionFeedback records a person's verdict.
	DecisionFeedback DecisionKind = "feedback"
	// DecisionOverflow records that the open-incident limit was reached
	// and Signals go to the overflow incident.
	DecisionOverflow DecisionKind = "overflow"
)

// Decision is one outcome of a step of the Manager, for the caller to
// persist and act on.
type Decision struct {
	Kind     DecisionKind `json:"kind"`
	Incident string       `json:"incident"`
	At       time.Time    `json:"at"`
	Severity Severity     `json:"severity"`
	// Fingerprint names the alert concerned, if one.
	Fingerprint string `json:"fingerprint,omitempty"`
	Reason      string `json:"reason"`
}
