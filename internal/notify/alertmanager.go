package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
)

// AlertmanagerOptions configures an Alertmanager notifier.
type AlertmanagerOptions struct {
	// URL is the Alertmanager's base URL, such as http://alertmanager:9093.
	URL string
	// BearerToken, when set, is sent in the Authorization header, for an
	// Alertmanager behind an authenticating proxy.
	BearerToken config.Secret
	// Client sends the requests; nil means a client with a 30s timeout.
	Client *http.Client
}

// Alertmanager pushes notifications as alerts to an Alertmanager's API v2,
// so that teams can route Vigil's incidents with the routing, silences and
// receivers they already have. An acknowledged incident is still firing for
// Alertmanager, which has no acknowledgement; a resolved one is sent with
// its end time, which resolves the alert. Alertmanager resolves by itself a
// firing alert it has not heard of for its resolve_timeout (5m by default),
// so a firing incident must be notified again within that time, as
// Prometheus re-sends its alerts; the caller's repeat interval must see to
// it.
type Alertmanager struct {
	url    string
	token  config.Secret
	client *http.Client
}

// NewAlertmanager returns an Alertmanager notifier.
func NewAlertmanager(opts AlertmanagerOptions) (*Alertmanager, error) {
	if opts.URL == "" {
		return nil, errors.New("new alertmanager notifier: url must be set")
	}
	return &Alertmanager{url: strings.TrimRight(opts.URL, "/"), token: opts.BearerToken, client: httpClient(opts.Client)}, nil
}

// postableAlert is an alert of Alertmanager's API v2.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify implements Notifier.
func (a *Alertmanager) Notify(ctx context.Context, n Notification) error {
	if err := n.Validate(); err != nil {
		return &Error{Reason: ReasonInvalid, Err: err}
	}
	alert := postableAlert{
		Labels:      alertLabels(n),
		Annotations: alertAnnotations(n),
		StartsAt:    n.StartsAt.UTC(),
	}
	if n.Status == StatusResolved {
		alert.EndsAt = n.EndsAt.UTC()
		if alert.EndsAt.IsZero() || alert.EndsAt.Before(alert.StartsAt) {
			alert.EndsAt = alert.StartsAt
		}
	}
	if len(n.Links) > 0 {
		alert.GeneratorURL = n.Links[0].Href
	}
	r := request{client: a.client, url: a.url + "/api/v2/alerts", body: []postableAlert{alert}}
	if a.token != "" {
		r.header = http.Header{"Authorization": {"Bearer " + string(a.token)}}
		r.secrets = []string{string(a.token)}
	}
	if _, err := postJSON(ctx, r); err != nil {
		return fmt.Errorf("post alert to alertmanager: %w", err)
	}
	return nil
}

// alertLabels returns the labels that identify n's incident as an alert:
// the notification's labels with alertname (the title, unless the labels
// name one), severity and incident added. Status and sequence are not
// labels, so every update is the same alert.
func alertLabels(n Notification) map[string]string {
	labels := maps.Clone(n.Labels)
	if labels == nil {
		labels = make(map[string]string)
	}
	if labels["alertname"] == "" {
		labels["alertname"] = n.Title
	}
	if labels["severity"] == "" {
		labels["severity"] = string(n.Severity)
	}
	if n.IncidentID != "" {
		labels["incident"] = n.IncidentID
	}
	return labels
}

// alertAnnotations returns n's annotations with its title and summary, and
// its status when that is a state Alertmanager cannot express.
func alertAnnotations(n Notification) map[string]string {
	ann := maps.Clone(n.Annotations)
	if ann == nil {
		ann = make(map[string]string)
	}
	if _, ok := ann["title"]; !ok {
		ann["title"] = n.Title
	}
	if _, ok := ann["summary"]; !ok && n.Summary != "" {
		ann["summary"] = n.Summary
	}
	if n.Status == StatusAcknowledged {
		ann["vigil_status"] = string(n.Status)
	}
	return ann
}
