package incident

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// State is everything a Manager holds, for the caller to snapshot as JSON
// and restore after a restart.
type State struct {
	// Seq is the number of the last incident opened.
	Seq int `json:"seq"`
	// Incidents lists the active incidents in opening order, then the
	// resolved ones kept, oldest first.
	Incidents []Incident `json:"incidents"`
	Silences  []Silence  `json:"silences"`
}

// Snapshot returns a deep copy of the Manager's state.
func (m *Manager) Snapshot() State {
	st := State{Seq: m.seq, Incidents: m.Incidents(), Silences: m.Silences()}
	return st
}

// Restore returns a Manager with cfg, topo and cat holding st, as
// Snapshot returned it.
func Restore(cfg Config, topo Topology, cat Catalog, st State) (*Manager, error) {
	m, err := New(cfg, topo, cat)
	if err != nil {
		return nil, err
	}
	m.seq = st.Seq
	for _, s := range st.Silences {
		if err := m.AddSilence(s); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	for i := range st.Incidents {
		c := st.Incidents[i].clone()
		inc := &c
		if _, dup := m.byID[inc.ID]; dup || inc.ID == "" {
			return nil, fmt.Errorf("restore: incident %q repeated or unnamed: %w", inc.ID, ErrInvalid)
		}
		switch inc.Status {
		case StatusOpen, StatusAcknowledged, StatusResolved:
		default:
			return nil, fmt.Errorf("restore: incident %s: status %q: %w", inc.ID, inc.Status, ErrInvalid)
		}
		m.seq = max(m.seq, inc.Seq)
		m.byID[inc.ID] = inc
		if !inc.active() {
			m.resolved = append(m.resolved, inc)
			continue
		}
		m.active = append(m.active, inc)
		if inc.GroupKey == overflowKey {
			m.overflow = inc
		} else {
			m.groups[inc.GroupKey] = inc
		}
		for _, a := range inc.Alerts {
			ref := alertRef{inc: inc, alert: a, labels: matchLabels(a.Kind, a.Source, a.Subject, a.Node, a.Labels)}
			m.alerts[a.Fingerprint] = ref
			m.indexNode(a.Node, inc)
			m.inhibit.track(a, ref.labels)
		}
		if inc.RootNode != "" {
			m.nodes[inc.RootNode] = inc
		}
	}
	slices.SortStableFunc(m.active, func(a, b *Incident) int { return cmp.Compare(a.Seq, b.Seq) })
	return m, nil
}

// Incident returns a copy of the incident id, active or kept resolved.
func (m *Manager) Incident(id string) (Incident, bool) {
	inc := m.byID[id]
	if inc == nil {
		return Incident{}, false
	}
	return inc.clone(), true
}

// Incidents returns copies of the active incidents in opening order, then
// of the resolved ones kept, oldest first.
func (m *Manager) Incidents() []Incident {
	out := make([]Incident, 0, len(m.active)+len(m.resolved))
	for _, inc := range m.active {
		out = append(out, inc.clone())
	}
	for _, inc := range m.resolved {
		out = append(out, inc.clone())
	}
	return out
}

// AddSilence adds s, or replaces the silence with its ID. It takes effect
// for new Signals at once, and for the alerts already held at the next
// Tick.
func (m *Manager) AddSilence(s Silence) error {
	s.Matchers = slices.Clone(s.Matchers)
	s.Weekly = slices.Clone(s.Weekly)
	if err := s.compile(); err != nil {
		return err
	}
	m.silences = slices.DeleteFunc(m.silences, func(x *Silence) bool { return x.ID == s.ID })
	i, _ := slices.BinarySearchFunc(m.silences, s.ID, func(x *Silence, id string) int { return cmp.Compare(x.ID, id) })
	m.silences = slices.Insert(m.silences, i, &s)
	return nil
}

// ExpireSilence ends the silence id at at.
func (m *Manager) ExpireSilence(id string, at time.Time) error {
	for _, s := range m.silences {
		if s.ID == id {
			if at.Before(s.StartsAt) {
				at = s.StartsAt
			}
			s.EndsAt = at
			return nil
		}
	}
	return fmt.Errorf("silence %s: %w", id, ErrNotFound)
}

// Silences returns copies of the silences, by ID.
func (m *Manager) Silences() []Silence {
	out := make([]Silence, len(m.silences))
	for i, s := range m.silences {
		out[i] = *s
		out[i].Matchers = slices.Clone(s.Matchers)
		out[i].Weekly = slices.Clone(s.Weekly)
	}
	return out
}
