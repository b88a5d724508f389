// Package notify tells people about incidents: it turns an incident's state
// into a Notification and hands it to a receiver such as Slack, PagerDuty,
// an Alertmanager or a generic webhook, through a durable delivery loop that
// writes every notification to the state store's outbox before it is sent,
// retries transient failures with backoff, and never retries what a receiver
// rejected for good.
//
// The package does not decide who is told what or when: routing, grouping,
// silences and repeat intervals belong to the incident manager, which calls
// Delivery.Enqueue once it has decided. Notifiers hold no state of their
// own beyond what a caller persists for them (a Slack thread per incident,
// through a ThreadStore), and never put a secret in an error or a log.
package notify

import (
	"context"
	"fmt"
	"time"
)

// Status is where an incident is in its lifecycle when it is notified.
type Status string

// The statuses a Notification can carry.
const (
	StatusFiring       Status = "firing"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusFiring, StatusAcknowledged, StatusResolved:
		return true
	}
	return false
}

// Severity is how urgent a notification is. The values are PagerDuty's.
type Severity string

// The severities a Notification can carry, from the most to the least
// urgent.
const (
	SeverityCritical Severity = "critical"
	SeverityError    Severity = "error"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

// Valid reports whether s is one of the known severities.
func (s Severity) Valid() bool {
	switch s {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
		return true
	}
	return false
}

// Link is a hyperlink attached to a notification, such as the incident's
// page in Vigil, a dashboard or a runbook.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Notification is what a receiver is told about an incident at one point
// of its life. Successive notifications about one incident share its Key
// and carry increasing Sequence numbers, so that a receiver can update what
// it showed before instead of adding to it, and a late, older notification
// can be recognised as stale.
type Notification struct {
	// IncidentID identifies the incident in Vigil.
	IncidentID string `json:"incident_id"`
	// Key is stable for the life of the incident at one receiver: it is
	// PagerDuty's dedup_key, the Slack thread's key and Alertmanager's
	// group key.
	Key      string   `json:"key"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	// Title is a one-line description.
	Title string `json:"title"`
	// Summary explains the incident in a few sentences.
	Summary     string            `json:"summary,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Links       []Link            `json:"links,omitempty"`
	// StartsAt is when the incident started.
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when the incident ended; zero while it has not.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Sequence orders the notifications of one incident; it grows with
	// every update.
	Sequence uint64 `json:"sequence"`
}

// Validate reports what is missing or wrong in n.
func (n Notification) Validate() error {
	switch {
	case n.Key == "":
		return fmt.Errorf("notification of incident %q: key must be set", n.IncidentID)
	case !n.Status.Valid():
		return fmt.Errorf("notification %q: unknown status %q", n.Key, n.Status)
	case !n.Severity.Valid():
		return fmt.Errorf("notification %q: unknown severity %q", n.Key, n.Severity)
	case n.Title == "":
		return fmt.Errorf("notification %q: title must be set", n.Key)
	case n.StartsAt.IsZero():
		return fmt.Errorf("notification %q: start time must be set", n.Key)
	}
	return nil
}

// Notifier sends a notification to one receiver. Notify returns nil once
// the receiver has accepted the notification. Its errors are classified
// with *Error so that the caller can tell a failure worth retrying from
// one that is not; an error that is not an *Error is treated as transient.
// Errors never contain the receiver's secrets.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}
