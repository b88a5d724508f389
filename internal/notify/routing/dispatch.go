package routing

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Status is an alert's state as the dispatcher sees it.
type Status string

// The statuses.
const (
	Firing       Status = "firing"
	Acknowledged Status = "acknowledged"
	Resolved     Status = "resolved"
)

// Alert is what is known of one incident: its key, its labels, its status
// and the sequence number of the latest news, which grows with every
// change.
type Alert struct {
	Key      string            `json:"key"`
	Labels   map[string]string `json:"labels"`
	Status   Status            `json:"status"`
	Sequence uint64            `json:"sequence"`
}

// Flush is what is due to one receiver for one group.
type Flush struct {
	Receiver    string
	RouteID     string
	GroupKey    string
	GroupLabels map[string]string
	// Alerts are the alerts to send: those that changed since the group
	// was last sent, or, on a repeat, every firing one.
	Alerts []Alert
	Repeat bool
}

// group is an aggregation group: one route's alerts with the same values
// of its group_by labels.
type group struct {
	RouteID string            `json:"route"`
	Labels  map[string]string `json:"labels"`
	Alerts  map[string]*entry `json:"alerts"`
	// Created is when the group formed, Flushed when it was last sent
	// (zero before its first flush), Changed whether an alert changed
	// since.
	Created time.Time `json:"created"`
	Flushed time.Time `json:"flushed,omitzero"`
	Changed bool      `json:"changed"`
}

type entry struct {
	Alert Alert  `json:"alert"`
	Sent  uint64 `json:"sent"` // The sequence last sent; 0 before.
}

// Dispatcher holds the aggregation groups of a Tree. It is not safe for
// concurrent use.
type Dispatcher struct {
	tree   *Tree
	routes map[string]Route
	groups map[string]*group
	// MaxGroups bounds the groups; an alert that would open one more is
	// refused and counted.
	maxGroups int
	refused   int
	// repeatCap, when set, lowers a receiver's repeat interval: an
	// Alertmanager forgets alerts not sent again within its
	// resolve_timeout.
	repeatCap map[string]time.Duration
}

// NewDispatcher returns an empty dispatcher on t with at most maxGroups
// groups; repeatCap caps the repeat interval of some receivers.
func NewDispatcher(t *Tree, maxGroups int, repeatCap map[string]time.Duration) *Dispatcher {
	d := &Dispatcher{tree: t, routes: map[string]Route{}, groups: map[string]*group{}, maxGroups: maxGroups, repeatCap: repeatCap}
	for _, r := range t.Routes() {
		d.routes[r.ID] = r
	}
	return d
}

// Refused returns how many alerts were refused because the groups were at
// their bound.
func (d *Dispatcher) Refused() int { return d.refused }

// Observe records news about an alert at now. News older than what is
// known (a lower sequence) is stale and ignored.
func (d *Dispatcher) Observe(now time.Time, a Alert) {
	for _, r := range d.tree.Match(a.Labels) {
		gl := groupLabels(r.GroupBy, a.Labels)
		key := r.ID + "|" + labelString(gl)
		g := d.groups[key]
		if g == nil {
			if a.Status == Resolved {
				continue // Nothing was said; nothing to take back.
			}
			if len(d.groups) >= d.maxGroups {
				d.refused++
				continue
			}
			g = &group{RouteID: r.ID, Labels: gl, Alerts: map[string]*entry{}, Created: now}
			d.groups[key] = g
		}
		e := g.Alerts[a.Key]
		if e == nil {
			if a.Status == Resolved {
				continue
			}
			e = &entry{}
			g.Alerts[a.Key] = e
		} else if a.Sequence <= e.Alert.Sequence {
			continue
		}
		e.Alert = a
		g.Changed = true
	}
}

// Due returns the flushes due at now, in route and group order, and
// records them as sent: the caller must deliver them (or persist them for
// delivery) before it persists the dispatcher's state.
func (d *Dispatcher) Due(now time.Time) []Flush {
	var out []Flush
	for _, key := range slices.Sorted(maps.Keys(d.groups)) {
		g := d.groups[key]
		r, ok := d.routes[g.RouteID]
		if !ok {
			delete(d.groups, key)
			continue
		}
		due, repeat := d.due(g, r, now)
		if !due {
			continue
		}
		f := Flush{Receiver: r.Receiver, RouteID: r.ID, GroupKey: key, GroupLabels: g.Labels, Repeat: repeat}
		for _, k := range slices.Sorted(maps.Keys(g.Alerts)) {
			e := g.Alerts[k]
			changed := e.Alert.Sequence != e.Sent
			if changed || (repeat && e.Alert.Status == Firing) {
				f.Alerts = append(f.Alerts, e.Alert)
				e.Sent = e.Alert.Sequence
			}
			if e.Alert.Status == Resolved {
				delete(g.Alerts, k) // Sent once; gone.
			}
		}
		g.Flushed, g.Changed = now, false
		if len(g.Alerts) == 0 {
			delete(d.groups, key)
		}
		if len(f.Alerts) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// due says whether g is due at now, and whether as a repeat.
func (d *Dispatcher) due(g *group, r Route, now time.Time) (due, repeat bool) {
	switch {
	case g.Flushed.IsZero():
		return !now.Before(g.Created.Add(r.GroupWait)), false
	case g.Changed:
		return !now.Before(g.Flushed.Add(r.GroupInterval)), false
	}
	if !d.firing(g) {
		return false, false
	}
	return !now.Before(g.Flushed.Add(d.repeatInterval(r))), true
}

func (d *Dispatcher) repeatInterval(r Route) time.Duration {
	if c, ok := d.repeatCap[r.Receiver]; ok && c > 0 && c < r.RepeatInterval {
		return c
	}
	return r.RepeatInterval
}

func (d *Dispatcher) firing(g *group) bool {
	for _, e := range g.Alerts {
		if e.Alert.Status == Firing {
			return true
		}
	}
	return false
}

// NextWake returns when the next flush may be due; false when no group is
// waiting for anything.
func (d *Dispatcher) NextWake() (time.Time, bool) {
	var next time.Time
	for _, g := range d.groups {
		r, ok := d.routes[g.RouteID]
		if !ok {
			continue
		}
		var at time.Time
		switch {
		case g.Flushed.IsZero():
			at = g.Created.Add(r.GroupWait)
		case g.Changed:
			at = g.Flushed.Add(r.GroupInterval)
		case d.firing(g):
			at = g.Flushed.Add(d.repeatInterval(r))
		default:
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// MarshalJSON encodes the groups.
func (d *Dispatcher) MarshalJSON() ([]byte, error) { return json.Marshal(d.groups) }

// UnmarshalJSON restores groups encoded by MarshalJSON; groups of routes
// the tree no longer has are dropped.
func (d *Dispatcher) UnmarshalJSON(b []byte) error {
	var gs map[string]*group
	if err := json.Unmarshal(b, &gs); err != nil {
		return fmt.Errorf("restore notification groups: %w", err)
	}
	d.groups = map[string]*group{}
	for k, g := range gs {
		if _, ok := d.routes[g.RouteID]; ok && g.Alerts != nil {
			d.groups[k] = g
		}
	}
	return nil
}

// groupLabels returns the values of the group_by labels in labels.
func groupLabels(by []string, labels map[string]string) map[string]string {
	out := map[string]string{}
	if len(by) == 1 && by[0] == "..." {
		for k, v := range labels {
			out[k] = v
		}
		return out
	}
	for _, l := range by {
		out[l] = labels[l]
	}
	return out
}

func labelString(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return "{" + b.String() + "}"
}
