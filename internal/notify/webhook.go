package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
)

// WebhookVersion is the version of Alertmanager's webhook format that
// Webhook sends.
const WebhookVersion = "4"

// WebhookOptions configures a Webhook.
type WebhookOptions struct {
	// URL receives the POST requests.
	URL string
	// Receiver is the name sent in the message's receiver field.
	Receiver string
	// ExternalURL is sent as externalURL: where Vigil's UI can be reached.
	ExternalURL string
	// BearerToken, when set, is sent in the Authorization header.
	BearerToken config.Secret
	// Client sends the requests; nil means a client with a 30s timeout.
	Client *http.Client
}

// Webhook posts notifications in Alertmanager's webhook JSON format, so that
// any tool that consumes Alertmanager's webhooks consumes Vigil's too. Each
// message carries one alert, the incident, under the notification's key as
// groupKey.
type Webhook struct {
	url         string
	receiver    string
	externalURL string
	token       config.Secret
	client      *http.Client
}

// NewWebhook returns a Webhook.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if opts.URL == "" {
		return nil, errors.New("new webhook notifier: url must be set")
	}
	return &Webhook{
		url:         opts.URL,
		receiver:    opts.Receiver,
		externalURL: opts.ExternalURL,
		token:       opts.BearerToken,
		client:      httpClient(opts.Client),
	}, nil
}

// WebhookMessage is Alertmanager's webhook payload, version 4.
type WebhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a WebhookMessage.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, n Notification) error {
	if err := n.Validate(); err != nil {
		return &Error{Reason: ReasonInvalid, Err: err}
	}
	// Alertmanager's format knows only firing and resolved.
	status := "firing"
	if n.Status == StatusResolved {
		status = "resolved"
	}
	labels, ann := alertLabels(n), alertAnnotations(n)
	alert := WebhookAlert{
		Status:      status,
		Labels:      labels,
		Annotations: ann,
		StartsAt:    n.StartsAt.UTC(),
		Fingerprint: fingerprint(n.Key),
	}
	if n.Status == StatusResolved {
		alert.EndsAt = n.EndsAt.UTC()
	}
	if len(n.Links) > 0 {
		alert.GeneratorURL = n.Links[0].Href
	}
	msg := WebhookMessage{
		Version:           WebhookVersion,
		GroupKey:          n.Key,
		Status:            status,
		Receiver:          w.receiver,
		GroupLabels:       map[string]string{"incident": n.IncidentID},
		CommonLabels:      maps.Clone(labels),
		CommonAnnotations: maps.Clone(ann),
		ExternalURL:       w.externalURL,
		Alerts:            []WebhookAlert{alert},
	}
	r := request{client: w.client, url: w.url, body: msg}
	if w.token != "" {
		r.header = http.Header{"Authorization": {"Bearer " + string(w.token)}}
		r.secrets = append(r.secrets, string(w.token))
	}
	if _, err := postJSON(ctx, r); err != nil {
		return fmt.Errorf("post to webhook: %w", err)
	}
	return nil
}

// fingerprint derives an alert fingerprint, 16 hex digits as Alertmanager
// writes them, from a notification key.
func fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
