package incident

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScenarios plays the scenarios under testdata/*.txt. A scenario is
// one command a line; times are offsets from the start, like 90s or 5m:
//
//	config group_by=pipeline min_duration=2m   (before anything else)
//	edge dataset:raw > pipeline:stg            (lineage, before Signals)
//	inhibit __kind__=run_failure -> __kind__=anomaly equal pipeline
//	silence ID FROM [TO] MATCHER...            (TO may be "-": no end)
//	signal AT KIND SUBJECT [node=N] [score=S] [LABEL=VALUE...]
//	clear AT KIND SUBJECT [node=N] [LABEL=VALUE...]
//	tick AT
//	ack|resolve ID AT BY [WHY...]
//	expect KIND ID [SEVERITY]   a Decision since the last expectation block
//	expect no KIND              no Decision of KIND since then
//	incidents N                 N incidents are active
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { playScenario(t, file) })
	}
}

// scenario is the state of one scenario being played.
type scenario struct {
	t       *testing.T
	cfg     Config
	graph   *fakeGraph
	m       *Manager
	pending []Decision
	expects bool // whether the last line was an expectation
}

func playScenario(t *testing.T, file string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := &scenario{t: t, graph: newFakeGraph()}
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := sc.step(strings.Fields(line)); err != nil {
			t.Fatalf("%s:%d: %s: %v", file, n, line, err)
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
}

// step runs one command.
func (sc *scenario) step(f []string) error {
	isExpect := f[0] == "expect" || f[0] == "incidents"
	if !isExpect && sc.expects {
		sc.pending = nil
	}
	sc.expects = isExpect
	switch f[0] {
	case "config":
		return sc.config(f[1:])
	case "edge":
		if len(f) != 4 || f[2] != ">" {
			return fmt.Errorf("want: edge A > B")
		}
		sc.graph.succ[f[1]] = append(sc.graph.succ[f[1]], f[3])
		sc.graph.pred[f[3]] = append(sc.graph.pred[f[3]], f[1])
		return nil
	case "inhibit":
		return sc.inhibit(f[1:])
	}
	if sc.m == nil {
		m, err := New(sc.cfg, sc.graph, nil)
		if err != nil {
			return err
		}
		sc.m = m
	}
	switch f[0] {
	case "silence":
		return sc.silence(f[1:])
	case "signal", "clear":
		return sc.signal(f[0] == "clear", f[1:])
	case "tick":
		at, err := offset(f, 1)
		if err != nil {
			return err
		}
		sc.pending = append(sc.pending, sc.m.Tick(at)...)
		return nil
	case "ack", "resolve":
		return sc.lifecycle(f)
	case "expect":
		return sc.expect(f[1:])
	case "incidents":
		want, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return err
		}
		if got := len(active(sc.m)); got != want {
			return fmt.Errorf("%d incidents active, want %d", got, want)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", f[0])
}

// offset parses f[i] as an offset from t0.
func offset(f []string, i int) (time.Time, error) {
	if i >= len(f) {
		return time.Time{}, fmt.Errorf("missing time")
	}
	d, err := time.ParseDuration(f[i])
	return t0.Add(d), err
}

func (sc *scenario) config(kvs []string) error {
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		if k == "group_by" {
			sc.cfg.GroupBy = strings.Split(v, ",")
			if v == "" {
				sc.cfg.GroupBy = []string{}
			}
			continue
		}
		if k == "flap_threshold" {
			n, err := strconv.Atoi(v)
			sc.cfg.FlapThreshold = n
			if err != nil {
				return err
			}
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		field := map[string]*time.Duration{
			"group_window": &sc.cfg.GroupWindow, "correlation_window": &sc.cfg.CorrelationWindow,
			"min_duration": &sc.cfg.MinDuration, "resolve_timeout": &sc.cfg.ResolveTimeout,
			"resolve_after": &sc.cfg.ResolveAfter, "flap_window": &sc.cfg.FlapWindow,
		}[k]
		if field == nil {
			return fmt.Errorf("unknown setting %q", k)
		}
		*field = d
	}
	return nil
}

// parseMatcher parses name=value, name!=value, name=~re or name!~re.
func parseMatcher(s string) (Matcher, error) {
	for i := range len(s) {
		for _, op := range []MatchType{MatchNotRegexp, MatchRegexp, MatchNotEqual, MatchEqual} {
			if strings.HasPrefix(s[i:], string(op)) {
				return NewMatcher(s[:i], op, s[i+len(op):])
			}
		}
	}
	return Matcher{}, fmt.Errorf("matcher %q has no operator", s)
}

func parseMatchers(fs []string) (Matchers, error) {
	var ms Matchers
	for _, s := range fs {
		m, err := parseMatcher(s)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func (sc *scenario) inhibit(f []string) error {
	var r InhibitRule
	part := 0
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "->":
			part = 1
		case f[i] == "equal" && i+1 < len(f):
			r.Equal = strings.Split(f[i+1], ",")
			i++
		default:
			m, err := parseMatcher(f[i])
			if err != nil {
				return err
			}
			if part == 0 {
				r.Source = append(r.Source, m)
			} else {
				r.Target = append(r.Target, m)
			}
		}
	}
	sc.cfg.Inhibit = append(sc.cfg.Inhibit, r)
	return nil
}

func (sc *scenario) silence(f []string) error {
	if len(f) < 3 {
		return fmt.Errorf("want: silence ID FROM [TO] MATCHER...")
	}
	from, err := offset(f, 1)
	if err != nil {
		return err
	}
	s := Silence{ID: f[0], StartsAt: from}
	rest := f[2:]
	if !strings.ContainsAny(rest[0], "=~") {
		if rest[0] != "-" {
			if s.EndsAt, err = offset(f, 2); err != nil {
				return err
			}
		}
		rest = rest[1:]
	}
	if s.Matchers, err = parseMatchers(rest); err != nil {
		return err
	}
	return sc.m.AddSilence(s)
}

func (sc *scenario) signal(clear bool, f []string) error {
	if len(f) < 3 {
		return fmt.Errorf("want: AT KIND SUBJECT ...")
	}
	at, err := offset(f, 0)
	if err != nil {
		return err
	}
	s := Signal{Kind: Kind(f[1]), Source: "scenario", Subject: f[2], Score: 1, At: at, Cleared: clear}
	for _, kv := range f[3:] {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return fmt.Errorf("bad label %q", kv)
		case k == "node":
			s.Node = v
		case k == "score":
			if s.Score, err = strconv.ParseFloat(v, 64); err != nil {
				return err
			}
		default:
			if s.Labels == nil {
				s.Labels = map[string]string{}
			}
			s.Labels[k] = v
		}
	}
	ds, err := sc.m.Process(s)
	sc.pending = append(sc.pending, ds...)
	return err
}

func (sc *scenario) lifecycle(f []string) error {
	if len(f) < 4 {
		return fmt.Errorf("want: %s ID AT BY [WHY...]", f[0])
	}
	at, err := offset(f, 2)
	if err != nil {
		return err
	}
	why := strings.Join(f[4:], " ")
	var ds []Decision
	if f[0] == "ack" {
		ds, err = sc.m.Acknowledge(f[1], f[3], why, at)
	} else {
		ds, err = sc.m.Resolve(f[1], f[3], why, at)
	}
	sc.pending = append(sc.pending, ds...)
	return err
}

func (sc *scenario) expect(f []string) error {
	if len(f) == 2 && f[0] == "no" {
		if n := count(sc.pending, DecisionKind(f[1])); n > 0 {
			return fmt.Errorf("%d %s decisions; pending: %s", n, f[1], describeDecisions(sc.pending))
		}
		return nil
	}
	if len(f) < 2 {
		return fmt.Errorf("want: expect KIND ID [SEVERITY]")
	}
	for i, d := range sc.pending {
		if string(d.Kind) == f[0] && d.Incident == f[1] && (len(f) < 3 || string(d.Severity) == f[2]) {
			sc.pending = sc.pending[i+1:]
			return nil
		}
	}
	return fmt.Errorf("no such decision; pending: %s", describeDecisions(sc.pending))
}

func describeDecisions(ds []Decision) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n\t%s %s %s %s (%s)", d.At.Sub(t0), d.Kind, d.Incident, d.Severity, d.Reason)
	}
	return b.String()
}
