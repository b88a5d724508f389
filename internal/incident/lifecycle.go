package incident

import (
	"fmt"
	"slices"
	"time"
)

// AutoResolver is the name auto-resolutions are recorded under.
const AutoResolver = "vigil"

// Tick advances the Manager to now: alerts not repeated within the
// resolve timeout clear, silences and inhibitions are re-applied, flapping
// and severity are re-evaluated, notifications held back by the minimum
// duration go out, and incidents whose alerts have all been cleared for
// ResolveAfter resolve themselves.
func (m *Manager) Tick(now time.Time) []Decision {
	m.silences = slices.DeleteFunc(m.silences, func(s *Silence) bool { return s.expired(now) })
	for _, inc := range m.active {
		for _, a := range inc.Alerts {
			if a.Firing && now.Sub(a.LastAt) >= m.cfg.ResolveTimeout {
				m.clear(m.alerts[a.Fingerprint], a.LastAt.Add(m.cfg.ResolveTimeout), false)
			}
		}
	}
	var out []Decision
	for _, inc := range slices.Clone(m.active) {
		changed := 0
		for _, a := range inc.Alerts {
			if m.suppress(m.alerts[a.Fingerprint], now) {
				changed++
			}
		}
		if changed > 0 {
			out = append(out, Decision{Kind: DecisionUpdate, Incident: inc.ID, At: now, Severity: inc.Severity,
				Reason: fmt.Sprintf("suppression changed for %d alerts", changed)})
		}
		out = append(out, m.evaluate(inc, now)...)
		if at, ok := m.quietSince(inc); ok && now.Sub(at) >= m.cfg.ResolveAfter {
			why := fmt.Sprintf("every signal cleared for %s", m.cfg.ResolveAfter)
			out = append(out, m.resolve(inc, Transition{By: AutoResolver, At: now, Why: why}))
		}
	}
	return out
}

// quietSince returns when inc's last alert cleared, or its last Signal
// arrived if later; ok is false while an alert fires.
func (m *Manager) quietSince(inc *Incident) (time.Time, bool) {
	at := inc.LastAt
	for _, a := range inc.Alerts {
		if a.Firing {
			return time.Time{}, false
		}
		if a.ClearedAt.After(at) {
			at = a.ClearedAt
		}
	}
	return at, true
}

// Acknowledge records that by has taken the open incident id in hand.
func (m *Manager) Acknowledge(id, by, why string, at time.Time) ([]Decision, error) {
	inc, err := m.find(id)
	if err != nil {
		return nil, err
	}
	if inc.Status != StatusOpen {
		return nil, fmt.Errorf("acknowledge incident %s: it is %s: %w", id, inc.Status, ErrConflict)
	}
	inc.Status = StatusAcknowledged
	inc.Acknowledged = &Transition{By: by, At: at, Why: why}
	return []Decision{{Kind: DecisionAcknowledge, Incident: id, At: at, Severity: inc.Severity, Reason: why}}, nil
}

// Resolve records that by has resolved the incident id.
func (m *Manager) Resolve(id, by, why string, at time.Time) ([]Decision, error) {
	inc, err := m.find(id)
	if err != nil {
		return nil, err
	}
	if !inc.active() {
		return nil, fmt.Errorf("resolve incident %s: it is %s: %w", id, inc.Status, ErrConflict)
	}
	return []Decision{m.resolve(inc, Transition{By: by, At: at, Why: why})}, nil
}

// Feedback records a person's verdict on the incident id, active or
// resolved; a later verdict replaces an earlier one.
func (m *Manager) Feedback(id string, f Feedback) ([]Decision, error) {
	inc, err := m.find(id)
	if err != nil {
		return nil, err
	}
	if !f.Verdict.Valid() {
		return nil, fmt.Errorf("feedback on incident %s: verdict %q: %w", id, f.Verdict, ErrInvalid)
	}
	if f.Verdict == Duplicate && f.DuplicateOf == "" {
		return nil, fmt.Errorf("feedback on incident %s: duplicate of what: %w", id, ErrInvalid)
	}
	inc.Feedback = &f
	return []Decision{{Kind: DecisionFeedback, Incident: id, At: f.At, Severity: inc.Severity, Reason: string(f.Verdict)}}, nil
}

// find returns the incident id.
func (m *Manager) find(id string) (*Incident, error) {
	inc := m.byID[id]
	if inc == nil {
		return nil, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	return inc, nil
}

// resolve closes inc, drops it from the indexes of active incidents, and
// keeps it among the resolved, forgetting the oldest beyond the limit.
func (m *Manager) resolve(inc *Incident, t Transition) Decision {
	inc.Status = StatusResolved
	inc.Resolved = &t
	m.active = slices.DeleteFunc(m.active, func(x *Incident) bool { return x == inc })
	for _, a := range inc.Alerts {
		ref := m.alerts[a.Fingerprint]
		delete(m.alerts, a.Fingerprint)
		m.inhibit.untrack(a, ref.labels)
	}
	if m.groups[inc.GroupKey] == inc {
		delete(m.groups, inc.GroupKey)
	}
	if m.overflow == inc {
		m.overflow = nil
	}
	m.reindexNodes(inc)
	m.resolved = append(m.resolved, inc)
	if n := len(m.resolved) - m.cfg.MaxResolved; n > 0 {
		for _, old := range m.resolved[:n] {
			delete(m.byID, old.ID)
		}
		m.resolved = append(m.resolved[:0], m.resolved[n:]...)
	}
	return Decision{Kind: DecisionResolve, Incident: inc.ID, At: t.At, Severity: inc.Severity, Reason: t.Why}
}

// reindexNodes points the nodes gone with inc to another active incident
// holding them, if any.
func (m *Manager) reindexNodes(inc *Incident) {
	gone := map[string]bool{}
	for n, x := range m.nodes {
		if x == inc {
			gone[n] = true
			delete(m.nodes, n)
		}
	}
	if len(gone) == 0 {
		return
	}
	for _, x := range m.active {
		for _, a := range x.Alerts {
			if gone[a.Node] {
				m.indexNode(a.Node, x)
			}
		}
	}
}
