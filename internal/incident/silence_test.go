package incident

import (
	"strings"
	"testing"
	"time"
)

func TestMatchers(t *testing.T) {
	labels := map[string]string{"pipeline": "orders", "team": "commerce"}
	f := func(name string, typ MatchType, value string, want bool) {
		t.Helper()
		m, err := NewMatcher(name, typ, value)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.matches(labels); got != want {
			t.Errorf("%s on %v = %v, want %v", m, labels, got, want)
		}
	}
	f("pipeline", MatchEqual, "orders", true)
	f("pipeline", MatchEqual, "order", false)
	f("pipeline", MatchNotEqual, "orders", false)
	f("missing", MatchEqual, "", true)
	f("missing", MatchNotEqual, "", false)
	f("pipeline", MatchRegexp, "ord.*", true)
	f("pipeline", MatchRegexp, "ord", false) // anchored
	f("pipeline", MatchNotRegexp, "pay.*", true)
	f("team", MatchNotRegexp, "comm.*", false)
	for _, bad := range []Matcher{{Name: "", Type: MatchEqual}, {Name: "a", Type: "=="}, {Name: "a", Type: MatchRegexp, Value: "["}} {
		if _, err := NewMatcher(bad.Name, bad.Type, bad.Value); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestWeeklyWindow(t *testing.T) {
	night := WeeklyWindow{Days: []time.Weekday{time.Saturday}, Start: 22 * time.Hour, End: 2 * time.Hour}
	day := WeeklyWindow{Days: []time.Weekday{time.Monday, time.Wednesday}, Start: 9 * time.Hour, End: 17 * time.Hour}
	f := func(w WeeklyWindow, at string, want bool) {
		t.Helper()
		ts, err := time.Parse(time.DateTime, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.contains(ts); got != want {
			t.Errorf("%+v contains %s (%s) = %v, want %v", w, at, ts.Weekday(), got, want)
		}
	}
	f(day, "2026-03-02 09:00:00", true) // Monday
	f(day, "2026-03-02 16:59:59", true)
	f(day, "2026-03-02 17:00:00", false)
	f(day, "2026-03-03 10:00:00", false)  // Tuesday
	f(day, "2026-03-04 10:00:00", true)   // Wednesday
	f(night, "2026-03-07 23:00:00", true) // Saturday
	f(night, "2026-03-08 01:59:00", true) // Sunday, after midnight
	f(night, "2026-03-08 02:00:00", false)
	f(night, "2026-03-07 21:59:00", false)
	f(night, "2026-03-08 23:00:00", false)

	berlin := WeeklyWindow{Days: []time.Weekday{time.Monday}, Start: 9 * time.Hour, End: 10 * time.Hour, Location: "Europe/Berlin"}
	s := Silence{ID: "s", Matchers: Matchers{{Name: "a", Type: MatchEqual, Value: "b"}}, Weekly: []WeeklyWindow{berlin}}
	if err := s.compile(); err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	if !s.activeAt(t0.Add(-90*time.Minute)) || s.activeAt(t0) { // 08:30 UTC is 09:30 in Berlin in March
		t.Error("Berlin window misplaced")
	}
}

func TestSilence(t *testing.T) {
	m := newManager(t, Config{}, nil)
	err := m.AddSilence(Silence{
		ID: "maint", CreatedBy: "ann", Comment: "warehouse upgrade",
		Matchers: Matchers{{Name: "pipeline", Type: MatchRegexp, Value: "orders|payments"}, {Name: LabelKind, Type: MatchNotEqual, Value: "rule"}},
		StartsAt: t0, EndsAt: t0.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	ds := process(t, m,
		sig(KindRunFailure, "run", "", time.Minute, "pipeline", "orders"),
		sig(KindRule, "rule", "", time.Minute, "pipeline", "payments"))
	if n := count(ds, DecisionNotify); n != 1 {
		t.Fatalf("want only the rule notified: %+v", ds)
	}
	inc := active(m)[0]
	if a := inc.Alerts[0]; a.Suppressed != "silence:maint" || a.Count != 1 {
		t.Errorf("suppressed alert not kept and marked: %+v", a)
	}
	// The silence ends: the alert, still firing, notifies.
	process(t, m, sig(KindRunFailure, "run", "", 50*time.Minute, "pipeline", "orders"))
	ds = m.Tick(t0.Add(61 * time.Minute))
	if count(ds, DecisionNotify) != 1 || count(ds, DecisionUpdate) == 0 || active(m)[0].Alerts[0].Suppressed != "" {
		t.Errorf("after the silence: %+v", ds)
	}
	if len(m.Silences()) != 0 {
		t.Error("expired silence kept")
	}
	if err := m.AddSilence(Silence{ID: "x"}); err == nil {
		t.Error("silence without matchers accepted")
	}
	if err := m.AddSilence(Silence{ID: "x", Matchers: Matchers{{Name: "a", Type: MatchEqual}}, StartsAt: t0, EndsAt: t0}); err == nil {
		t.Error("empty silence accepted")
	}
}

func TestExpireSilence(t *testing.T) {
	m := newManager(t, Config{}, nil)
	if err := m.AddSilence(Silence{ID: "s", Matchers: Matchers{{Name: "pipeline", Type: MatchEqual, Value: "orders"}}, StartsAt: t0}); err != nil {
		t.Fatal(err)
	}
	if ds := process(t, m, sig(KindRunFailure, "run", "", 0, "pipeline", "orders")); count(ds, DecisionNotify) != 0 {
		t.Fatalf("silenced alert notified: %+v", ds)
	}
	if err := m.ExpireSilence("s", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := m.ExpireSilence("nope", t0); err == nil {
		t.Error("expired an unknown silence")
	}
	if ds := m.Tick(t0.Add(2 * time.Minute)); count(ds, DecisionNotify) != 1 {
		t.Errorf("after expiry: %+v", ds)
	}
}

func TestInhibition(t *testing.T) {
	rule := InhibitRule{
		Source: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "run_failure"}},
		Target: Matchers{{Name: LabelKind, Type: MatchRegexp, Value: "anomaly|freshness"}},
		Equal:  []string{"pipeline"},
	}
	m := newManager(t, Config{GroupBy: []string{"team"}, Inhibit: []InhibitRule{rule}}, nil)
	down := sig(KindRunFailure, "run", "", 0, "pipeline", "orders", "team", "t")
	ds := process(t, m, down,
		sig(KindAnomaly, "rows", "", time.Minute, "pipeline", "orders", "team", "t"),
		sig(KindAnomaly, "rows", "", time.Minute, "pipeline", "payments", "team", "t"))
	incs := active(m)
	if len(incs) != 1 || len(incs[0].Alerts) != 3 {
		t.Fatalf("incidents %+v", incs)
	}
	got := []string{}
	for _, a := range incs[0].Alerts {
		got = append(got, a.Suppressed)
	}
	want := []string{"", "inhibited:" + Fingerprint(down), ""}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("suppressed %q, want %q", got, want)
	}
	if count(ds, DecisionNotify) != 1 {
		t.Errorf("decisions %+v", ds)
	}
	// The source clears: the target is no longer inhibited.
	process(t, m, cleared(down, 2*time.Minute))
	m.Tick(t0.Add(3 * time.Minute))
	if a := active(m)[0].Alerts[1]; a.Suppressed != "" {
		t.Errorf("still inhibited: %+v", a)
	}
}

func TestSilencedSourceDoesNotInhibit(t *testing.T) {
	rule := InhibitRule{
		Source: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "run_failure"}},
		Target: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "anomaly"}},
	}
	m := newManager(t, Config{Inhibit: []InhibitRule{rule}}, nil)
	if err := m.AddSilence(Silence{ID: "s", Matchers: Matchers{{Name: LabelKind, Type: MatchEqual, Value: "run_failure"}}, StartsAt: t0}); err != nil {
		t.Fatal(err)
	}
	process(t, m, sig(KindRunFailure, "run", "", 0), sig(KindAnomaly, "rows", "", 0))
	for _, inc := range active(m) {
		if a := inc.Alerts[0]; a.Kind == KindAnomaly && a.Suppressed != "" {
			t.Errorf("inhibited by a silenced source: %+v", a)
		}
	}
}
