package incident

import (
	"fmt"
	"regexp"
)

// MatchType is how a Matcher compares a label's value.
type MatchType string

// The match types, as in Alertmanager.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher selects Signals by one label. A missing label has the empty
// value. Regular expressions are anchored at both ends.
type Matcher struct {
	Name  string    `json:"name"`
	Type  MatchType `json:"type"`
	Value string    `json:"value"`

	re *regexp.Regexp
}

// NewMatcher returns a checked Matcher.
func NewMatcher(name string, t MatchType, value string) (Matcher, error) {
	m := Matcher{Name: name, Type: t, Value: value}
	return m, m.compile()
}

// compile checks m and prepares its regular expression.
func (m *Matcher) compile() error {
	if m.Name == "" {
		return fmt.Errorf("matcher without label name: %w", ErrInvalid)
	}
	switch m.Type {
	case MatchEqual, MatchNotEqual:
		m.re = nil
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return fmt.Errorf("matcher %s%s%q: %w", m.Name, m.Type, m.Value, err)
		}
		m.re = re
	default:
		return fmt.Errorf("matcher %s: match type %q: %w", m.Name, m.Type, ErrInvalid)
	}
	return nil
}

// String returns m as Alertmanager writes it.
func (m Matcher) String() string { return fmt.Sprintf("%s%s%q", m.Name, m.Type, m.Value) }

// matches reports whether labels satisfy m. It must only be called on a
// compiled Matcher.
func (m Matcher) matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	case MatchNotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// Matchers is a conjunction of Matchers.
type Matchers []Matcher

// compile compiles every matcher.
func (ms Matchers) compile() error {
	for i := range ms {
		if err := ms[i].compile(); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether labels satisfy every matcher; an empty list
// matches everything.
func (ms Matchers) matches(labels map[string]string) bool {
	for _, m := range ms {
		if !m.matches(labels) {
			return false
		}
	}
	return true
}
