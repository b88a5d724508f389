package incident

import (
	"strings"
	"time"
)

// groupKey returns the key that puts s with the alerts of the same group:
// the values of the GroupBy labels, or, when s has none of them, its node
// or else its subject.
func groupKey(groupBy []string, s Signal) string {
	var b strings.Builder
	found := false
	for i, l := range groupBy {
		v, ok := s.Labels[l]
		found = found || ok
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l)
		b.WriteByte('=')
		b.WriteString(v)
	}
	switch {
	case found:
		return b.String()
	case s.Node != "":
		return "node=" + s.Node
	}
	return "subject=" + s.Subject
}

// within reports whether at is no later than window after last.
func within(last, at time.Time, window time.Duration) bool {
	return at.Sub(last) <= window
}

// groupIncident returns the active incident of the group key that
// received a Signal within the group window before at, or nil.
func (m *Manager) groupIncident(key string, at time.Time) *Incident {
	inc := m.groups[key]
	if inc == nil || !inc.active() || !within(inc.LastAt, at, m.cfg.GroupWindow) {
		return nil
	}
	return inc
}
