package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/notify"
	"github.com/vigil-aiops/vigil/internal/state"
)

// announcer turns the incident manager's decisions into notifications for
// every receiver whose minimum severity they reach, queued durably.
type announcer struct {
	delivery    *notify.Delivery
	names       []string // The receivers, in configuration order.
	minSeverity map[string]int
	externalURL string
	logger      *slog.Logger
}

var severityRank = map[string]int{"info": 0, "warning": 1, "error": 2, "critical": 3}

// newAnnouncer builds the receivers of cfg; it returns nil without any.
func newAnnouncer(cfg config.Notify, store *state.Store, logger *slog.Logger, reg prometheus.Registerer) (*announcer, error) {
	if len(cfg.Receivers) == 0 {
		return nil, nil
	}
	receivers := map[string]notify.Notifier{}
	minSev := map[string]int{}
	var names []string
	for _, r := range cfg.Receivers {
		names = append(names, r.Name)
		var (
			n   notify.Notifier
			err error
		)
		switch {
		case r.PagerDuty != nil:
			n, err = notify.NewPagerDuty(notify.PagerDutyOptions{RoutingKey: r.PagerDuty.RoutingKey, URL: r.PagerDuty.URL, Source: "vigil"})
		case r.SlackWebhook != nil:
			n, err = notify.NewSlackWebhook(notify.SlackWebhookOptions{URL: r.SlackWebhook.URL})
		case r.Alertmanager != nil:
			n, err = notify.NewAlertmanager(notify.AlertmanagerOptions{URL: string(r.Alertmanager.URL), BearerToken: r.Alertmanager.BearerToken})
		case r.Webhook != nil:
			n, err = notify.NewWebhook(notify.WebhookOptions{URL: string(r.Webhook.URL), Receiver: r.Name, ExternalURL: cfg.ExternalURL, BearerToken: r.Webhook.BearerToken})
		}
		if err != nil {
			return nil, fmt.Errorf("notify receiver %s: %w", r.Name, err)
		}
		receivers[r.Name] = n
		sev := r.MinSeverity
		if sev == "" {
			sev = "warning"
		}
		minSev[r.Name] = severityRank[sev]
	}
	d, err := notify.NewDelivery(notify.DeliveryOptions{Store: store, Receivers: receivers, Logger: logger, Registerer: reg})
	if err != nil {
		return nil, err
	}
	return &announcer{delivery: d, names: names, minSeverity: minSev, externalURL: cfg.ExternalURL, logger: logger}, nil
}

// queued is a notification for one receiver.
type queued struct {
	receiver string
	n        notify.Notification
}

// notifications returns the notifications the decisions call for, for
// every receiver whose minimum severity they reach. The caller holds the
// incident manager's lock; m is read, not changed.
func (an *announcer) notifications(m *incident.Manager, decisions []incident.Decision) []queued {
	if an == nil {
		return nil
	}
	var out []queued
	for _, d := range decisions {
		var status notify.Status
		switch d.Kind {
		case incident.DecisionNotify:
			status = notify.StatusFiring
		case incident.DecisionAcknowledge:
			status = notify.StatusAcknowledged
		case incident.DecisionResolve:
			status = notify.StatusResolved
		default:
			continue
		}
		inc, ok := m.Incident(d.Incident)
		if !ok || (status != notify.StatusFiring && inc.Notified == "") {
			continue // Nobody was told it started, so nobody is told it ended.
		}
		n := notification(inc, status, d, an.externalURL)
		for _, name := range an.names {
			if severityRank[string(inc.Severity)] < an.minSeverity[name] {
				continue
			}
			out = append(out, queued{receiver: name, n: n})
		}
	}
	return out
}

// enqueue queues notifications in tx.
func (an *announcer) enqueue(ctx context.Context, tx *state.Tx, qs []queued) error {
	for _, q := range qs {
		if err := an.delivery.EnqueueTx(ctx, tx, q.receiver, q.n); err != nil {
			return fmt.Errorf("queue notification of %s for %s: %w", q.n.IncidentID, q.receiver, err)
		}
	}
	return nil
}

func notification(inc incident.Incident, status notify.Status, d incident.Decision, externalURL string) notify.Notification {
	n := notify.Notification{
		IncidentID: inc.ID, Key: "vigil-" + inc.ID, Status: status, Severity: notify.Severity(inc.Severity),
		Title: "Vigil incident " + inc.ID, StartsAt: inc.OpenedAt,
		Labels: map[string]string{"incident": inc.ID}, Sequence: uint64(d.At.UnixNano()),
	}
	if len(inc.Alerts) > 0 {
		root := inc.Alerts[0]
		for _, a := range inc.Alerts {
			if a.Fingerprint == inc.Primary {
				root = a
			}
		}
		n.Title = fmt.Sprintf("%s: %s %s", inc.ID, root.Kind, root.Subject)
		n.Summary = fmt.Sprintf("%s. %d signals, %d alerts; blast radius: root %s.", root.Evidence, inc.Signals, len(inc.Alerts), inc.RootNode)
		for k, v := range root.Labels {
			n.Labels[k] = v
		}
	}
	if inc.Resolved != nil {
		n.EndsAt = inc.Resolved.At
	}
	if externalURL != "" {
		n.Links = []notify.Link{{Href: externalURL + "/api/v1/incidents/" + inc.ID, Text: "incident in Vigil"}}
	}
	return n
}
