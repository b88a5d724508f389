package incident

import (
	"fmt"
	"strings"
)

// InhibitRule suppresses alerts matching Target while an alert matching
// Source fires with the same values of the Equal labels, as Alertmanager
// does. A missing label equals a missing label. An alert does not inhibit
// itself.
type InhibitRule struct {
	Source Matchers `json:"source"`
	Target Matchers `json:"target"`
	Equal  []string `json:"equal,omitempty"`
}

// compile checks r and prepares its matchers.
func (r *InhibitRule) compile() error {
	if len(r.Source) == 0 || len(r.Target) == 0 {
		return fmt.Errorf("inhibit rule needs source and target matchers: %w", ErrInvalid)
	}
	if err := r.Source.compile(); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if err := r.Target.compile(); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	return nil
}

// equalKey joins the values of r's Equal labels.
func (r *InhibitRule) equalKey(labels map[string]string) string {
	var b strings.Builder
	for _, l := range r.Equal {
		b.WriteString(labels[l])
		b.WriteByte(0xff)
	}
	return b.String()
}

// inhibitor finds, for an alert, a firing source alert that inhibits it.
// It indexes the firing source alerts of each rule by their Equal values,
// so that a check costs one map look-up per rule whatever the number of
// alerts. The index holds only alerts stored in active incidents, so it is
// bounded like them.
type inhibitor struct {
	rules []InhibitRule
	// sources[i][key] holds the fingerprints of rule i's firing sources.
	sources []map[string]map[string]bool
}

// newInhibitor returns an empty index for rules.
func newInhibitor(rules []InhibitRule) *inhibitor {
	in := &inhibitor{rules: rules, sources: make([]map[string]map[string]bool, len(rules))}
	in.reset()
	return in
}

// reset empties the index.
func (in *inhibitor) reset() {
	for i := range in.sources {
		in.sources[i] = map[string]map[string]bool{}
	}
}

// track adds or removes a as a source, by whether it fires unsilenced. A
// silenced alert inhibits nothing; an inhibited one still does, as in
// Alertmanager.
func (in *inhibitor) track(a *Alert, labels map[string]string) {
	in.set(a.Fingerprint, labels, a.Firing && !strings.HasPrefix(a.Suppressed, suppressSilence))
}

// untrack removes the alert from the sources, whatever its state.
func (in *inhibitor) untrack(a *Alert, labels map[string]string) {
	in.set(a.Fingerprint, labels, false)
}

// set adds the alert fp to the sources of the rules its labels match, or
// removes it.
func (in *inhibitor) set(fp string, labels map[string]string, on bool) {
	for i := range in.rules {
		r := &in.rules[i]
		if !r.Source.matches(labels) {
			continue
		}
		key := r.equalKey(labels)
		set := in.sources[i][key]
		switch {
		case on && set == nil:
			in.sources[i][key] = map[string]bool{fp: true}
		case on:
			set[fp] = true
		case set != nil:
			delete(set, fp)
			if len(set) == 0 {
				delete(in.sources[i], key)
			}
		}
	}
}

// inhibitedBy returns the fingerprint of a source alert inhibiting the
// alert with fingerprint fp and labels, or "". Among several it picks the
// least fingerprint, for determinism.
func (in *inhibitor) inhibitedBy(fp string, labels map[string]string) string {
	by := ""
	for i := range in.rules {
		r := &in.rules[i]
		if !r.Target.matches(labels) {
			continue
		}
		for src := range in.sources[i][r.equalKey(labels)] {
			if src != fp && (by == "" || src < by) {
				by = src
			}
		}
	}
	return by
}
