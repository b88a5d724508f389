package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/incident"
	"github.com/vigil-aiops/vigil/internal/notify"
	"github.com/vigil-aiops/vigil/internal/notify/routing"
	"github.com/vigil-aiops/vigil/internal/state"
)

// announcer turns the incident manager's decisions into notifications:
// a routing tree (the configured one, or one that tells every receiver at
// once) decides who hears of what and when, and the notifications it lets
// out are queued durably for the receivers whose minimum severity they
// reach.
type announcer struct {
	delivery    *notify.Delivery
	names       []string // The receivers, in configuration order.
	minSeverity map[string]int
	externalURL string
	logger      *slog.Logger
	disp        *routing.Dispatcher
}

// dispatchKey is where the routing groups are kept between runs.
const dispatchKey = "notify/dispatch"

var severityRank = map[string]int{"info": 0, "warning": 1, "error": 2, "critical": 3}

// newAnnouncer builds the receivers and the routing tree of cfg, and
// restores the routing groups from meta; it returns nil without receivers.
func newAnnouncer(ctx context.Context, cfg config.Notify, store *state.Store, logger *slog.Logger, reg prometheus.Registerer) (*announcer, error) {
	if len(cfg.Receivers) == 0 {
		return nil, nil
	}
	receivers := map[string]notify.Notifier{}
	minSev := map[string]int{}
	resend := map[string]time.Duration{}
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
			resend[r.Name] = cfg.AlertmanagerResend.Std()
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
	spec := everyone(names)
	if cfg.Route != nil {
		spec = routeSpec(*cfg.Route)
	}
	tree, err := routing.New(spec, names)
	if err != nil {
		return nil, fmt.Errorf("notify.%w", err)
	}
	disp := routing.NewDispatcher(tree, 100_000, resend)
	if b, err := store.Meta().Get(ctx, dispatchKey); err == nil {
		if err := disp.UnmarshalJSON(b); err != nil {
			logger.Error("notification groups not restored; starting empty", "err", err)
			disp = routing.NewDispatcher(tree, 100_000, resend)
		}
	} else if !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("load notification groups: %w", err)
	}
	d, err := notify.NewDelivery(notify.DeliveryOptions{Store: store, Receivers: receivers, Logger: logger, Registerer: reg})
	if err != nil {
		return nil, err
	}
	return &announcer{delivery: d, names: names, minSeverity: minSev, externalURL: cfg.ExternalURL, logger: logger, disp: disp}, nil
}

// everyone is the tree without a configured route: every receiver hears
// of every incident at once, and is not reminded (but for Alertmanager
// receivers, which must be).
func everyone(names []string) routing.Spec {
	root := routing.Spec{Receiver: names[0], GroupBy: []string{"incident"}, GroupWait: time.Nanosecond,
		GroupInterval: time.Nanosecond, RepeatInterval: 100 * 365 * 24 * time.Hour}
	for _, n := range names {
		root.Routes = append(root.Routes, routing.Spec{Receiver: n, Continue: true})
	}
	return root
}

func routeSpec(r config.Route) routing.Spec {
	s := routing.Spec{Receiver: r.Receiver, Matchers: r.Matchers, Continue: r.Continue, GroupBy: r.GroupBy,
		GroupWait: r.GroupWait.Std(), GroupInterval: r.GroupInterval.Std(), RepeatInterval: r.RepeatInterval.Std()}
	for _, c := range r.Routes {
		s.Routes = append(s.Routes, routeSpec(c))
	}
	return s
}

// queued is a notification for one receiver.
type queued struct {
	receiver string
	n        notify.Notification
}

// observe hands the decisions that people should hear of to the routing
// groups, and reports whether any did. The caller holds the incident
// manager's lock; m is read, not changed.
func (an *announcer) observe(m *incident.Manager, decisions []incident.Decision) bool {
	if an == nil {
		return false
	}
	observed := false
	for _, d := range decisions {
		var status routing.Status
		switch d.Kind {
		case incident.DecisionNotify:
			status = routing.Firing
		case incident.DecisionAcknowledge:
			status = routing.Acknowledged
		case incident.DecisionResolve:
			status = routing.Resolved
		default:
			continue
		}
		inc, ok := m.Incident(d.Incident)
		if !ok || (status != routing.Firing && inc.Notified == "") {
			continue // Nobody was told it started, so nobody is told it ended.
		}
		an.disp.Observe(d.At, routing.Alert{Key: inc.ID, Labels: routeLabels(inc), Status: status, Sequence: uint64(d.At.UnixNano())})
		observed = true
	}
	return observed
}

// due returns the notifications the routing groups let out at now, for
// the receivers whose minimum severity they reach.
func (an *announcer) due(m *incident.Manager, now time.Time) []queued {
	if an == nil {
		return nil
	}
	var out []queued
	for _, f := range an.disp.Due(now) {
		for _, a := range f.Alerts {
			inc, ok := m.Incident(a.Key)
			if !ok || severityRank[string(inc.Severity)] < an.minSeverity[f.Receiver] {
				continue
			}
			seq := a.Sequence
			if f.Repeat {
				seq = uint64(now.UnixNano()) // A reminder is news of its own.
			}
			out = append(out, queued{receiver: f.Receiver, n: notification(inc, notify.Status(a.Status), seq, an.externalURL)})
		}
	}
	return out
}

// nextWake says when the routing groups next have something to let out.
func (an *announcer) nextWake() (time.Time, bool) {
	if an == nil {
		return time.Time{}, false
	}
	return an.disp.NextWake()
}

// enqueue queues notifications in tx, with the routing groups' state.
func (an *announcer) enqueue(ctx context.Context, tx *state.Tx, qs []queued) error {
	if an == nil {
		return nil
	}
	for _, q := range qs {
		if err := an.delivery.EnqueueTx(ctx, tx, q.receiver, q.n); err != nil {
			return fmt.Errorf("queue notification of %s for %s: %w", q.n.IncidentID, q.receiver, err)
		}
	}
	b, err := an.disp.MarshalJSON()
	if err != nil {
		return err
	}
	return tx.Meta().Put(ctx, dispatchKey, b)
}

// routeLabels are the labels routes match on: the primary alert's labels,
// and the incident's severity, kind, root node and ID.
func routeLabels(inc incident.Incident) map[string]string {
	l := map[string]string{}
	for _, a := range inc.Alerts {
		if a.Fingerprint == inc.Primary {
			for k, v := range a.Labels {
				l[k] = v
			}
			l["kind"] = string(a.Kind)
		}
	}
	l["severity"] = string(inc.Severity)
	l["root_node"] = inc.RootNode
	l["incident"] = inc.ID
	return l
}

func notification(inc incident.Incident, status notify.Status, seq uint64, externalURL string) notify.Notification {
	n := notify.Notification{
		IncidentID: inc.ID, Key: "vigil-" + inc.ID, Status: status, Severity: notify.Severity(inc.Severity),
		Title: "Vigil incident " + inc.ID, StartsAt: inc.OpenedAt,
		Labels: map[string]string{"incident": inc.ID}, Sequence: seq,
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
