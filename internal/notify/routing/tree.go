// Package routing decides who is told about an incident and when, with the
// semantics of Prometheus Alertmanager's routing tree: a tree of routes
// matched on labels (team, severity, pipeline), each naming a receiver and
// grouping what it matches by labels; a group is first notified group_wait
// after it forms, changes are sent at most every group_interval, and what
// keeps firing unchanged is sent again every repeat_interval.
//
// It is pure: time comes from the arguments, and the Dispatcher's state is
// a value the caller persists (MarshalJSON) with the notifications it
// decides, so that a restart neither repeats nor forgets them.
package routing

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is one route as configured; zero durations inherit the parent's.
type Spec struct {
	Receiver       string
	Matchers       []string
	Continue       bool
	GroupBy        []string
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	Routes         []Spec
}

// Alertmanager's defaults for the root.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// Route is a route of a Tree with everything resolved.
type Route struct {
	// ID is the route's path in the tree: "0" for the root, "0.1" for
	// its second child.
	ID             string
	Receiver       string
	GroupBy        []string // Sorted; ["..."] groups by every label.
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration

	matchers []Matcher
	cont     bool
	children []*Route
}

// Tree is a validated routing tree.
type Tree struct {
	root *Route
}

// New validates root and resolves inheritance. receivers lists the
// configured receivers a route may name.
func New(root Spec, receivers []string) (*Tree, error) {
	if root.Receiver == "" {
		return nil, fmt.Errorf("route: the root route must name a receiver")
	}
	if len(root.Matchers) > 0 {
		return nil, fmt.Errorf("route: the root route matches everything and must have no matchers")
	}
	if root.Continue {
		return nil, fmt.Errorf("route: the root route cannot have continue set")
	}
	parent := Route{GroupWait: DefaultGroupWait, GroupInterval: DefaultGroupInterval, RepeatInterval: DefaultRepeatInterval}
	r, err := build(root, &parent, "route", "0", receivers)
	if err != nil {
		return nil, err
	}
	return &Tree{root: r}, nil
}

func build(s Spec, parent *Route, path, id string, receivers []string) (*Route, error) {
	r := &Route{ID: id, Receiver: s.Receiver, GroupBy: parent.GroupBy, cont: s.Continue,
		GroupWait: parent.GroupWait, GroupInterval: parent.GroupInterval, RepeatInterval: parent.RepeatInterval}
	if r.Receiver == "" {
		r.Receiver = parent.Receiver
	} else if !slices.Contains(receivers, r.Receiver) {
		return nil, fmt.Errorf("%s: unknown receiver %q (known: %s)", path, r.Receiver, strings.Join(receivers, ", "))
	}
	for name, d := range map[string]time.Duration{"group_wait": s.GroupWait, "group_interval": s.GroupInterval, "repeat_interval": s.RepeatInterval} {
		if d < 0 {
			return nil, fmt.Errorf("%s.%s: %s must not be negative", path, name, d)
		}
	}
	if s.GroupWait > 0 {
		r.GroupWait = s.GroupWait
	}
	if s.GroupInterval > 0 {
		r.GroupInterval = s.GroupInterval
	}
	if s.RepeatInterval > 0 {
		r.RepeatInterval = s.RepeatInterval
	}
	if s.GroupBy != nil {
		seen := map[string]bool{}
		for i, l := range s.GroupBy {
			if seen[l] {
				return nil, fmt.Errorf("%s.group_by[%d]: duplicate label %q", path, i, l)
			}
			if l == "" || (l == "..." && len(s.GroupBy) > 1) {
				return nil, fmt.Errorf("%s.group_by[%d]: %q: a label name, or \"...\" alone", path, i, l)
			}
			seen[l] = true
		}
		r.GroupBy = slices.Sorted(slices.Values(s.GroupBy))
	}
	for i, m := range s.Matchers {
		pm, err := ParseMatcher(m)
		if err != nil {
			return nil, fmt.Errorf("%s.matchers[%d] %q: %w", path, i, m, err)
		}
		r.matchers = append(r.matchers, pm)
	}
	for i, c := range s.Routes {
		child, err := build(c, r, fmt.Sprintf("%s.routes[%d]", path, i), fmt.Sprintf("%s.%d", id, i), receivers)
		if err != nil {
			return nil, err
		}
		r.children = append(r.children, child)
	}
	return r, nil
}

// Match returns the routes labels take, as Alertmanager walks the tree:
// depth first, the first matching child and, with continue, its later
// siblings too; a route none of whose children match takes the alert
// itself.
func (t *Tree) Match(labels map[string]string) []Route {
	var out []Route
	match(t.root, labels, &out)
	return out
}

func match(r *Route, labels map[string]string, out *[]Route) bool {
	for _, m := range r.matchers {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	matched := false
	for _, c := range r.children {
		if match(c, labels, out) {
			matched = true
			if !c.cont {
				break
			}
		}
	}
	if !matched {
		cp := *r
		cp.matchers, cp.children = nil, nil
		*out = append(*out, cp)
	}
	return true
}

// Routes lists every route of the tree, depth first.
func (t *Tree) Routes() []Route {
	var out []Route
	var walk func(*Route)
	walk = func(r *Route) {
		cp := *r
		cp.matchers, cp.children = nil, nil
		out = append(out, cp)
		for _, c := range r.children {
			walk(c)
		}
	}
	walk(t.root)
	return out
}

// MatchType is a matcher's operator.
type MatchType string

// The operators, as Alertmanager writes them.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher tests one label. A missing label has the value "".
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

var nameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseMatcher parses `name op value`, op one of = != =~ !~, the value
// bare or double-quoted (with Go's escapes). Regular expressions are
// anchored at both ends, as in Alertmanager.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("want name, operator (=, !=, =~, !~) and value")
	}
	m := Matcher{Name: strings.TrimSpace(s[:i])}
	rest := s[i:]
	for _, op := range []MatchType{MatchRegexp, MatchNotRegexp, MatchNotEqual, MatchEqual} {
		if strings.HasPrefix(rest, string(op)) {
			m.Type, rest = op, rest[len(op):]
			break
		}
	}
	if m.Type == "" {
		return Matcher{}, fmt.Errorf("unknown operator in %q", rest)
	}
	if !nameRE.MatchString(m.Name) {
		return Matcher{}, fmt.Errorf("label name %q is not valid", m.Name)
	}
	v := strings.TrimSpace(rest)
	if strings.HasPrefix(v, `"`) {
		var err error
		if m.Value, err = unquote(v); err != nil {
			return Matcher{}, err
		}
	} else {
		if strings.ContainsAny(v, `"`) {
			return Matcher{}, fmt.Errorf("value %q: a quote inside an unquoted value", v)
		}
		m.Value = v
	}
	if m.Type == MatchRegexp || m.Type == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("invalid regular expression: %w", err)
		}
		m.re = re
	}
	return m, nil
}

func unquote(v string) (string, error) {
	u, err := strconv.Unquote(v)
	if err != nil {
		return "", fmt.Errorf("value %s: not a valid double-quoted string (Go escapes)", v)
	}
	return u, nil
}

// Matches reports whether a label with value v satisfies m.
func (m Matcher) Matches(v string) bool {
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

// String writes m back as name op "value".
func (m Matcher) String() string { return fmt.Sprintf("%s%s%q", m.Name, m.Type, m.Value) }
