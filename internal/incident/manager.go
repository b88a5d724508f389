package incident

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"
)

// Manager turns Signals into incidents. See the package documentation.
type Manager struct {
	cfg  Config
	topo Topology
	cat  Catalog

	seq      int
	active   []*Incident // open or acknowledged, in opening order
	resolved []*Incident // oldest first, at most cfg.MaxResolved
	byID     map[string]*Incident
	alerts   map[string]alertRef  // fingerprint → alert in an active incident
	nodes    map[string]*Incident // lineage node → active incident holding it
	groups   map[string]*Incident // group key → latest incident of the group
	overflow *Incident            // the active overflow incident, if any
	silences []*Silence           // sorted by ID
	inhibit  *inhibitor
	// evidenceDropped counts evidence-only Signals no incident took.
	evidenceDropped int
}

// EvidenceDropped returns how many evidence-only Signals (see
// Config.EvidenceOnly) found no incident to join.
func (m *Manager) EvidenceDropped() int { return m.evidenceDropped }

// alertRef locates an alert.
type alertRef struct {
	inc    *Incident
	alert  *Alert
	labels map[string]string // what matchers see
}

// overflowKey is the group key of the overflow incident.
const overflowKey = "overflow"

// Suppression prefixes of Alert.Suppressed.
const (
	suppressSilence = "silence:"
	suppressInhibit = "inhibited:"
)

// New returns a Manager with cfg, whose zero fields take their defaults.
// topo and cat may be nil: without a Topology there is no lineage
// correlation and no blast radius; without a Catalog node kinds come from
// their ID prefixes and no node is critical.
func New(cfg Config, topo Topology, cat Catalog) (*Manager, error) {
	cfg = cfg.withDefaults()
	cfg.Inhibit = append([]InhibitRule(nil), cfg.Inhibit...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Manager{
		cfg:     cfg,
		topo:    topo,
		cat:     cat,
		byID:    map[string]*Incident{},
		alerts:  map[string]alertRef{},
		nodes:   map[string]*Incident{},
		groups:  map[string]*Incident{},
		inhibit: newInhibitor(cfg.Inhibit),
	}, nil
}

// Process takes one Signal and returns the Decisions it leads to. A
// repeat of a fingerprint held by an active incident only updates that
// alert's count and values. A cleared Signal for a fingerprint the Manager
// does not hold is ignored.
func (m *Manager) Process(s Signal) ([]Decision, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.Score = clamp01(s.Score)
	s.Evidence = truncate(s.Evidence, m.cfg.MaxEvidence)
	fp := Fingerprint(s)
	if ref, ok := m.alerts[fp]; ok {
		return m.repeat(ref, s), nil
	}
	if s.Cleared {
		return nil, nil
	}
	var out []Decision
	key := groupKey(m.cfg.GroupBy, s)
	inc, role, merge := m.place(s, key)
	if inc == nil && slices.Contains(m.cfg.EvidenceOnly, s.Kind) {
		m.evidenceDropped++
		return nil, nil
	}
	if inc == nil {
		inc, out = m.open(key, s.At)
		if len(out) == 0 {
			role = RoleMember // the overflow incident, already open
		}
	}
	opened := len(out) > 0
	inc.Signals++
	if s.At.After(inc.LastAt) {
		inc.LastAt = s.At
	}
	if len(inc.Alerts) >= m.cfg.MaxAlertsPerIncident {
		inc.addOverflow(s.Kind, 1)
		return append(out, m.evaluate(inc, s.At)...), nil
	}
	a := m.add(inc, s, fp, role)
	note := ""
	if a.Suppressed != "" {
		note = ", suppressed by " + a.Suppressed
	}
	switch {
	case opened:
		out[0].Fingerprint = fp
		out[0].Reason += note
		m.setRoot(inc, a, s.At)
		// A new incident is announced with the severity of its first alert.
		inc.Severity = m.cfg.Severity.severity(inc)
		for i := range out {
			out[i].Severity = inc.Severity
		}
	case role == RolePrimary:
		out = append(out, m.setRoot(inc, a, s.At)...)
		for _, from := range merge {
			out = append(out, m.absorb(inc, from, s.At)...)
		}
	default:
		out = append(out, Decision{Kind: DecisionUpdate, Incident: inc.ID, At: s.At, Severity: inc.Severity,
			Fingerprint: fp, Reason: fmt.Sprintf("%s %s joined as %s%s", s.Kind, describe(a), role, note)})
	}
	return append(out, m.evaluate(inc, s.At)...), nil
}

// add stores a new alert for s in inc, indexes it and applies silences
// and inhibitions to it.
func (m *Manager) add(inc *Incident, s Signal, fp string, role Role) *Alert {
	a := &Alert{
		Fingerprint: fp, Kind: s.Kind, Source: s.Source, Subject: s.Subject,
		Node: s.Node, Labels: maps.Clone(s.Labels), Role: role,
		Count: 1, FirstAt: s.At, LastAt: s.At, Score: s.Score, MaxScore: s.Score,
		Evidence: s.Evidence, Firing: true, FiringSince: s.At,
	}
	ref := alertRef{inc: inc, alert: a, labels: matchLabels(s.Kind, s.Source, s.Subject, s.Node, s.Labels)}
	inc.Alerts = append(inc.Alerts, a)
	m.alerts[fp] = ref
	m.indexNode(s.Node, inc)
	m.suppress(ref, s.At)
	return a
}

// repeat handles a Signal whose fingerprint an active incident holds.
func (m *Manager) repeat(ref alertRef, s Signal) []Decision {
	a, inc := ref.alert, ref.inc
	if s.Cleared {
		if !a.Firing {
			return nil
		}
		m.clear(ref, s.At, true)
		return m.evaluate(inc, s.At)
	}
	a.Count++
	inc.Signals++
	if s.At.After(a.LastAt) {
		a.LastAt = s.At
	}
	if s.At.After(inc.LastAt) {
		inc.LastAt = s.At
	}
	a.Score = s.Score
	a.MaxScore = max(a.MaxScore, s.Score)
	if s.Evidence != "" {
		a.Evidence = s.Evidence
	}
	if !a.Firing {
		a.Firing = true
		a.FiringSince = s.At
		a.ClearedAt = time.Time{}
		m.suppress(ref, s.At)
	}
	return m.evaluate(inc, s.At)
}

// open starts a new incident of the group key, or returns the overflow
// incident when the open-incident limit is reached.
func (m *Manager) open(key string, at time.Time) (*Incident, []Decision) {
	if len(m.active) >= m.cfg.MaxOpenIncidents {
		if m.overflow != nil {
			return m.overflow, nil
		}
		key = overflowKey
	}
	m.seq++
	inc := &Incident{
		ID: fmt.Sprintf("inc-%06d", m.seq), Seq: m.seq, GroupKey: key,
		Status: StatusOpen, OpenedAt: at, LastAt: at, Severity: SeverityInfo,
	}
	m.active = append(m.active, inc)
	m.byID[inc.ID] = inc
	out := []Decision{{Kind: DecisionOpen, Incident: inc.ID, At: at, Severity: inc.Severity, Reason: "group " + key}}
	if key == overflowKey {
		m.overflow = inc
		out = append(out, Decision{Kind: DecisionOverflow, Incident: inc.ID, At: at, Severity: inc.Severity,
			Reason: fmt.Sprintf("%d incidents open; new groups join this incident", len(m.active)-1)})
	} else {
		m.groups[key] = inc
	}
	return inc, out
}

// setRoot makes a the root of inc, demoting the previous root to a
// symptom, and remeasures the blast radius.
func (m *Manager) setRoot(inc *Incident, a *Alert, at time.Time) []Decision {
	var out []Decision
	if old := inc.primary(); old != nil {
		old.Role = RoleSymptom
		out = append(out, Decision{Kind: DecisionUpdate, Incident: inc.ID, At: at, Severity: inc.Severity,
			Fingerprint: a.Fingerprint, Reason: fmt.Sprintf("new root %s upstream of %s", describe(a), describe(old))})
	}
	a.Role = RolePrimary
	inc.Primary = a.Fingerprint
	if a.Node != "" {
		inc.RootNode = a.Node
		m.nodes[a.Node] = inc
	}
	m.blast(inc)
	return out
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// describe names an alert for a person.
func describe(a *Alert) string {
	if a.Node != "" {
		return a.Node
	}
	return a.Subject
}

// clear ends a's firing episode at at; a clear counts towards flapping
// when flap is set.
func (m *Manager) clear(ref alertRef, at time.Time, flap bool) {
	a := ref.alert
	a.Firing = false
	a.ClearedAt = at
	if flap {
		a.Clears = append(a.Clears, at)
		if n := len(a.Clears) - m.cfg.FlapThreshold; n > 0 {
			a.Clears = append(a.Clears[:0], a.Clears[n:]...)
		}
	}
	m.inhibit.track(a, ref.labels)
}

// suppress sets whether a silence or an inhibition rule suppresses the
// alert at at, and updates the inhibition index. It reports whether the
// suppression changed.
func (m *Manager) suppress(ref alertRef, at time.Time) bool {
	a := ref.alert
	was := a.Suppressed
	a.Suppressed = ""
	if id := silencedBy(m.silences, ref.labels, at); id != "" {
		a.Suppressed = suppressSilence + id
	} else if by := m.inhibit.inhibitedBy(a.Fingerprint, ref.labels); by != "" {
		a.Suppressed = suppressInhibit + by
	}
	m.inhibit.track(a, ref.labels)
	return a.Suppressed != was
}

// evaluate updates inc's flapping state and severity at now and decides
// whether to notify. Severity only rises while an incident is active, so
// that alerts clearing one by one do not make it flicker.
func (m *Manager) evaluate(inc *Incident, now time.Time) []Decision {
	var out []Decision
	if flapping := m.flapping(inc, now); flapping != inc.Flapping {
		inc.Flapping = flapping
		kind, why := DecisionStable, "clears fell below the flap threshold"
		if flapping {
			kind = DecisionFlapping
			why = fmt.Sprintf("an alert cleared %d times within %s", m.cfg.FlapThreshold, m.cfg.FlapWindow)
		}
		out = append(out, Decision{Kind: kind, Incident: inc.ID, At: now, Severity: inc.Severity, Reason: why})
	}
	if sev := m.cfg.Severity.severity(inc); sev.Rank() > inc.Severity.Rank() {
		out = append(out, Decision{Kind: DecisionUpdate, Incident: inc.ID, At: now, Severity: sev,
			Reason: fmt.Sprintf("severity %s → %s", inc.Severity, sev)})
		inc.Severity = sev
	}
	if m.shouldNotify(inc, now) {
		why := "opened"
		if inc.Notified != "" {
			why = fmt.Sprintf("severity raised from %s", inc.Notified)
		}
		inc.Notified = inc.Severity
		inc.NotifiedAt = now
		out = append(out, Decision{Kind: DecisionNotify, Incident: inc.ID, At: now, Severity: inc.Severity,
			Fingerprint: inc.Primary, Reason: why})
	}
	return out
}

// shouldNotify reports whether inc is open, not flapping, not yet
// notified at its severity, and has an unsuppressed alert that has fired
// for at least the minimum duration.
func (m *Manager) shouldNotify(inc *Incident, now time.Time) bool {
	if inc.Status != StatusOpen || inc.Flapping || inc.Severity.Rank() <= inc.Notified.Rank() {
		return false
	}
	for _, a := range inc.Alerts {
		if a.Firing && a.Suppressed == "" && now.Sub(a.FiringSince) >= m.cfg.MinDuration {
			return true
		}
	}
	return false
}
