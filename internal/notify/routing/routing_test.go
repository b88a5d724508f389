package routing

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func testTree(t *testing.T) *Tree {
	t.Helper()
	tr, err := New(Spec{
		Receiver: "default", GroupBy: []string{"pipeline"},
		Routes: []Spec{
			{Matchers: []string{`severity=~"critical|error"`}, Receiver: "pager", Continue: true, GroupWait: 10 * time.Second},
			{Matchers: []string{`team="data"`}, Receiver: "slack", GroupBy: []string{"team"},
				Routes: []Spec{{Matchers: []string{`pipeline!~"test_.*"`, `env!=dev`}, Receiver: "data-prod"}}},
			{Matchers: []string{"severity=info"}, Receiver: "am", RepeatInterval: time.Hour},
		},
	}, []string{"default", "pager", "slack", "data-prod", "am"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestMatch(t *testing.T) {
	tr := testTree(t)
	for _, c := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"severity": "warning"}, "default"},
		{map[string]string{"severity": "critical", "team": "data", "pipeline": "orders"}, "pager data-prod"},
		{map[string]string{"severity": "critical", "team": "data", "pipeline": "test_x"}, "pager slack"},
		{map[string]string{"team": "data", "pipeline": "orders", "env": "dev"}, "slack"},
		{map[string]string{"severity": "critical-ish"}, "default"}, // Anchored regexp.
		{map[string]string{"severity": "info"}, "am"},
		{map[string]string{"team": "data"}, "data-prod"}, // A missing label is "", which !~ test_.* and != dev.
	} {
		var got []string
		for _, r := range tr.Match(c.labels) {
			got = append(got, r.Receiver)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%v → %v, want %s", c.labels, got, c.want)
		}
	}
	// Inheritance: group_by and timings flow down.
	for _, r := range tr.Routes() {
		if r.ID == "0.1.0" && (r.GroupBy[0] != "team" || r.GroupWait != DefaultGroupWait || r.RepeatInterval != DefaultRepeatInterval) {
			t.Errorf("data-prod route %+v", r)
		}
		if r.ID == "0.0" && r.GroupWait != 10*time.Second {
			t.Errorf("pager route %+v", r)
		}
	}
}

func TestNewErrors(t *testing.T) {
	recv := []string{"a", "b"}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{}, "root route must name a receiver"},
		{Spec{Receiver: "a", Matchers: []string{"x=y"}}, "must have no matchers"},
		{Spec{Receiver: "zz"}, `route: unknown receiver "zz" (known: a, b)`},
		{Spec{Receiver: "a", Routes: []Spec{{Receiver: "b"}, {Receiver: "c"}}}, `route.routes[1]: unknown receiver "c"`},
		{Spec{Receiver: "a", Routes: []Spec{{Matchers: []string{"team=~("}}}}, `route.routes[0].matchers[0] "team=~(": invalid regular expression`},
		{Spec{Receiver: "a", Routes: []Spec{{Matchers: []string{"9x=1"}}}}, `label name "9x" is not valid`},
		{Spec{Receiver: "a", GroupWait: -time.Second}, "route.group_wait: -1s must not be negative"},
		{Spec{Receiver: "a", GroupBy: []string{"x", "x"}}, `route.group_by[1]: duplicate label "x"`},
		{Spec{Receiver: "a", GroupBy: []string{"x", "..."}}, `route.group_by[1]: "..."`},
	} {
		_, err := New(c.spec, recv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestParseMatcher(t *testing.T) {
	for in, want := range map[string]string{
		`a="b"`:             `a="b"`,
		` a != b `:          `a!="b"`,
		`a=~"x|y"`:          `a=~"x|y"`,
		`a!~x.*`:            `a!~"x.*"`,
		`a="q\"uote\\"`:     `a="q\"uote\\"`,
		`a=`:                `a=""`,
		`severity=critical`: `severity="critical"`,
	} {
		m, err := ParseMatcher(in)
		if err != nil || m.String() != want {
			t.Errorf("%q → %v, %v; want %s", in, m, err, want)
		}
	}
	for _, bad := range []string{``, `=b`, `a`, `a~b`, `a="b`, `a="b"c"`, `a="\q"`, `a=~"["`, `a b=c`} {
		if _, err := ParseMatcher(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDispatcherTimings follows Alertmanager's timings on one group:
// batching within group_wait, updates no more often than group_interval,
// repeats every repeat_interval while firing, a resolution sent once.
func TestDispatcherTimings(t *testing.T) {
	tr, err := New(Spec{Receiver: "r", GroupBy: []string{"pipeline"}, GroupWait: 30 * time.Second,
		GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}, []string{"r"})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(tr, 10, nil)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	lab := map[string]string{"pipeline": "orders"}
	d.Observe(t0, Alert{Key: "inc-1", Labels: lab, Status: Firing, Sequence: 1})
	d.Observe(t0.Add(10*time.Second), Alert{Key: "inc-2", Labels: lab, Status: Firing, Sequence: 1})
	if w, ok := d.NextWake(); !ok || !w.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("next wake %v %v", w, ok)
	}
	if fs := d.Due(t0.Add(29 * time.Second)); len(fs) != 0 {
		t.Fatalf("flushed before group_wait: %+v", fs)
	}
	fs := d.Due(t0.Add(30 * time.Second))
	if len(fs) != 1 || len(fs[0].Alerts) != 2 || fs[0].Repeat || fs[0].GroupLabels["pipeline"] != "orders" {
		t.Fatalf("first flush %+v", fs)
	}
	// An update a minute later waits for group_interval.
	d.Observe(t0.Add(90*time.Second), Alert{Key: "inc-1", Labels: lab, Status: Acknowledged, Sequence: 2})
	if fs := d.Due(t0.Add(4 * time.Minute)); len(fs) != 0 {
		t.Fatalf("update sent before group_interval: %+v", fs)
	}
	fs = d.Due(t0.Add(5*time.Minute + 30*time.Second))
	if len(fs) != 1 || len(fs[0].Alerts) != 1 || fs[0].Alerts[0].Status != Acknowledged {
		t.Fatalf("update flush %+v", fs)
	}
	// Stale news is ignored.
	d.Observe(t0.Add(6*time.Minute), Alert{Key: "inc-1", Labels: lab, Status: Firing, Sequence: 1})
	if fs := d.Due(t0.Add(20 * time.Minute)); len(fs) != 0 {
		t.Fatalf("stale news sent: %+v", fs)
	}
	// Unchanged, an hour after the last flush: the firing one is repeated,
	// not the acknowledged one.
	fs = d.Due(t0.Add(time.Hour + 5*time.Minute + 30*time.Second))
	if len(fs) != 1 || !fs[0].Repeat || len(fs[0].Alerts) != 1 || fs[0].Alerts[0].Key != "inc-2" {
		t.Fatalf("repeat %+v", fs)
	}
	// Both resolve: sent once, then the group is gone.
	at := t0.Add(2 * time.Hour)
	d.Observe(at, Alert{Key: "inc-1", Labels: lab, Status: Resolved, Sequence: 3})
	d.Observe(at, Alert{Key: "inc-2", Labels: lab, Status: Resolved, Sequence: 2})
	fs = d.Due(at)
	if len(fs) != 1 || len(fs[0].Alerts) != 2 {
		t.Fatalf("resolution %+v", fs)
	}
	if fs := d.Due(at.Add(10 * time.Hour)); len(fs) != 0 {
		t.Fatalf("sent again after resolution: %+v", fs)
	}
	if _, ok := d.NextWake(); ok {
		t.Fatal("a group is still waiting")
	}
	// A resolution of something never announced is not sent.
	d.Observe(at, Alert{Key: "inc-9", Labels: lab, Status: Resolved, Sequence: 1})
	if fs := d.Due(at.Add(time.Hour)); len(fs) != 0 {
		t.Fatalf("resolution of an unknown alert: %+v", fs)
	}
}

func TestDispatcherRepeatCapAndBound(t *testing.T) {
	tr, _ := New(Spec{Receiver: "am", GroupBy: []string{"k"}, GroupWait: time.Second}, []string{"am"})
	d := NewDispatcher(tr, 2, map[string]time.Duration{"am": time.Minute})
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i, k := range []string{"a", "b", "c"} {
		d.Observe(t0, Alert{Key: k, Labels: map[string]string{"k": k}, Status: Firing, Sequence: uint64(i + 1)})
	}
	if d.Refused() != 1 {
		t.Fatalf("refused %d, want 1 beyond the bound of 2 groups", d.Refused())
	}
	if fs := d.Due(t0.Add(time.Second)); len(fs) != 2 {
		t.Fatalf("first flushes %+v", fs)
	}
	// The Alertmanager receiver is told again every minute, not every 4h.
	if fs := d.Due(t0.Add(time.Minute + time.Second)); len(fs) != 2 || !fs[0].Repeat {
		t.Fatalf("repeats %+v", fs)
	}
}

// TestDispatcherSnapshot restores a dispatcher mid-wait: it flushes when
// the original would have, once.
func TestDispatcherSnapshot(t *testing.T) {
	tr := testTree(t)
	d := NewDispatcher(tr, 10, nil)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	d.Observe(t0, Alert{Key: "inc-1", Labels: map[string]string{"severity": "critical", "pipeline": "p"}, Status: Firing, Sequence: 1})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	r := NewDispatcher(tr, 10, nil)
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatal(err)
	}
	want := d.Due(t0.Add(time.Minute))
	got := r.Due(t0.Add(time.Minute))
	if len(want) != 1 || len(got) != 1 || got[0].GroupKey != want[0].GroupKey || got[0].Receiver != "pager" {
		t.Fatalf("restored %+v, original %+v", got, want)
	}
	if err := json.Unmarshal([]byte("{"), r); err == nil {
		t.Fatal("garbage restored")
	}
	// A tree without the route drops its groups.
	other, _ := New(Spec{Receiver: "x"}, []string{"x"})
	o := NewDispatcher(other, 10, nil)
	if err := json.Unmarshal(b, o); err != nil {
		t.Fatal(err)
	}
	if fs := o.Due(t0.Add(time.Hour)); len(fs) != 0 {
		t.Fatalf("a group of a route the tree no longer has: %+v", fs)
	}
}

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{`a="b"`, `a!~"x|y"`, `a=~[`, `a="\\"`, ``, `=`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		// What parses prints back into something that parses the same.
		m2, err := ParseMatcher(m.String())
		if err != nil || m2.Name != m.Name || m2.Type != m.Type || m2.Value != m.Value {
			t.Fatalf("%q → %s → %+v, %v", s, m, m2, err)
		}
	})
}
