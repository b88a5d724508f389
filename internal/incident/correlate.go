package incident

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Topology answers questions about the lineage graph: which nodes could
// cause trouble at a node (Upstream), and which trouble at a node could
// affect (Downstream). The lineage graph of the ETL specs satisfies it
// through a small adapter; so can a service topology.
type Topology interface {
	Upstream(node string) []string
	Downstream(node string) []string
}

// place finds the incident a new alert joins and its role there: an
// incident holding its node or a node upstream of it takes it as a
// symptom; an incident rooted downstream of it takes it as the new root,
// and absorbs the other incidents rooted downstream of it, returned as
// merge; otherwise an incident of its group takes it as a member. A nil
// incident means a new one. Among several candidates the earliest opened
// wins.
func (m *Manager) place(s Signal, key string) (inc *Incident, role Role, merge []*Incident) {
	if s.Node != "" && m.topo != nil {
		if inc := m.upstreamIncident(s); inc != nil {
			if inc.RootNode == s.Node {
				return inc, RoleMember, nil
			}
			return inc, RoleSymptom, nil
		}
		if down := m.downstreamIncidents(s); len(down) > 0 {
			return down[0], RolePrimary, down[1:]
		}
	}
	if inc := m.groupIncident(key, s.At); inc != nil {
		return inc, RoleMember, nil
	}
	return nil, RolePrimary, nil
}

// upstreamIncident returns the earliest active incident, correlated within
// the window, that holds s's node or a node upstream of it.
func (m *Manager) upstreamIncident(s Signal) *Incident {
	var best *Incident
	consider := func(node string) {
		inc := m.nodes[node]
		if inc == nil || !inc.active() || !within(inc.LastAt, s.At, m.cfg.CorrelationWindow) {
			return
		}
		if best == nil || inc.Seq < best.Seq {
			best = inc
		}
	}
	consider(s.Node)
	for _, u := range m.topo.Upstream(s.Node) {
		consider(u)
	}
	return best
}

// downstreamIncidents returns the active incidents, correlated within the
// window, whose root node is downstream of s's node, earliest first.
func (m *Manager) downstreamIncidents(s Signal) []*Incident {
	var out []*Incident
	for _, d := range m.topo.Downstream(s.Node) {
		inc := m.nodes[d]
		if inc == nil || !inc.active() || inc.RootNode != d || !within(inc.LastAt, s.At, m.cfg.CorrelationWindow) {
			continue
		}
		if !slices.Contains(out, inc) {
			out = append(out, inc)
		}
	}
	slices.SortFunc(out, func(a, b *Incident) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// absorb moves the alerts of from into inc, whose new root is upstream of
// from's, and resolves from as merged. Alerts beyond inc's limit are
// counted in its Overflow.
func (m *Manager) absorb(inc, from *Incident, at time.Time) []Decision {
	for _, a := range from.Alerts {
		ref := m.alerts[a.Fingerprint]
		if a.Role == RolePrimary {
			a.Role = RoleSymptom
		}
		if len(inc.Alerts) >= m.cfg.MaxAlertsPerIncident {
			delete(m.alerts, a.Fingerprint)
			m.inhibit.untrack(a, ref.labels)
			inc.addOverflow(a.Kind, a.Count)
			continue
		}
		inc.Alerts = append(inc.Alerts, a)
		ref.inc = inc
		m.alerts[a.Fingerprint] = ref
	}
	for k, n := range from.Overflow {
		inc.addOverflow(k, n)
	}
	inc.Signals += from.Signals
	if from.LastAt.After(inc.LastAt) {
		inc.LastAt = from.LastAt
	}
	for node, x := range m.nodes {
		if x == from {
			m.nodes[node] = inc
		}
	}
	if m.groups[from.GroupKey] == from {
		m.groups[from.GroupKey] = inc
	}
	from.Alerts, from.Overflow, from.Signals = nil, nil, 0
	from.MergedInto = inc.ID
	why := fmt.Sprintf("merged into %s, rooted upstream at %s", inc.ID, inc.RootNode)
	return []Decision{
		{Kind: DecisionUpdate, Incident: inc.ID, At: at, Severity: inc.Severity, Reason: "absorbed " + from.ID},
		m.resolve(from, Transition{By: AutoResolver, At: at, Why: why}),
	}
}

// indexNode records that inc holds an alert on node, unless another
// active incident already does.
func (m *Manager) indexNode(node string, inc *Incident) {
	if node == "" {
		return
	}
	if cur := m.nodes[node]; cur == nil || !cur.active() {
		m.nodes[node] = inc
	}
}

// blast recomputes inc's blast radius from its root node.
func (m *Manager) blast(inc *Incident) {
	var down []string
	if inc.RootNode != "" && m.topo != nil {
		down = m.topo.Downstream(inc.RootNode)
	}
	inc.Blast = m.cfg.Severity.blastOf(inc.RootNode, down, m.cat)
}
