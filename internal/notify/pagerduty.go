package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
)

// DefaultPagerDutyURL is the PagerDuty Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// pagerDutySummaryMax is the longest payload.summary PagerDuty accepts.
const pagerDutySummaryMax = 1024

// PagerDutyOptions configures a PagerDuty notifier.
type PagerDutyOptions struct {
	// RoutingKey is the integration key of a PagerDuty service.
	RoutingKey config.Secret
	// URL is the Events API v2 endpoint; empty means DefaultPagerDutyURL.
	URL string
	// Source is payload.source, the affected system; empty means "vigil".
	Source string
	// Client sends the requests; nil means a client with a 30s timeout.
	Client *http.Client
}

// PagerDuty sends notifications as PagerDuty Events API v2 events: a firing
// incident triggers an alert, an acknowledged one acknowledges it and a
// resolved one resolves it, all with the notification's key as dedup_key so
// that PagerDuty keeps one alert per incident.
type PagerDuty struct {
	routingKey config.Secret
	url        string
	source     string
	client     *http.Client
}

// NewPagerDuty returns a PagerDuty notifier.
func NewPagerDuty(opts PagerDutyOptions) (*PagerDuty, error) {
	if opts.RoutingKey == "" {
		return nil, errors.New("new pagerduty notifier: routing key must be set")
	}
	p := &PagerDuty{routingKey: opts.RoutingKey, url: opts.URL, source: opts.Source, client: httpClient(opts.Client)}
	if p.url == "" {
		p.url = DefaultPagerDutyURL
	}
	if p.source == "" {
		p.source = "vigil"
	}
	return p, nil
}

// pagerDutyEvent is an Events API v2 event.
type pagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"`
	DedupKey    string            `json:"dedup_key"`
	Payload     *pagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	Links       []Link            `json:"links,omitempty"`
}

// pagerDutyPayload is the payload of a trigger event.
type pagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      Severity       `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// pagerDutyAction returns the event_action that reports a status.
func pagerDutyAction(s Status) string {
	switch s {
	case StatusFiring:
		return "trigger"
	case StatusAcknowledged:
		return "acknowledge"
	default:
		return "resolve"
	}
}

// Notify implements Notifier.
func (p *PagerDuty) Notify(ctx context.Context, n Notification) error {
	if err := n.Validate(); err != nil {
		return &Error{Reason: ReasonInvalid, Err: err}
	}
	ev := pagerDutyEvent{
		RoutingKey:  string(p.routingKey),
		EventAction: pagerDutyAction(n.Status),
		DedupKey:    n.Key,
		Client:      "Vigil",
	}
	if n.Status == StatusFiring {
		details := map[string]any{"incident_id": n.IncidentID, "sequence": n.Sequence}
		if n.Summary != "" {
			details["summary"] = n.Summary
		}
		if len(n.Labels) > 0 {
			details["labels"] = n.Labels
		}
		if len(n.Annotations) > 0 {
			details["annotations"] = n.Annotations
		}
		ev.Payload = &pagerDutyPayload{
			Summary:       truncate(n.Title, pagerDutySummaryMax),
			Source:        p.source,
			Severity:      n.Severity,
			Timestamp:     n.StartsAt.UTC().Format(time.RFC3339Nano),
			CustomDetails: details,
		}
		ev.Links = n.Links
	}
	_, err := postJSON(ctx, request{client: p.client, url: p.url, body: ev, secrets: []string{string(p.routingKey)}})
	if err != nil {
		return fmt.Errorf("send pagerduty %s event: %w", ev.EventAction, err)
	}
	return nil
}
