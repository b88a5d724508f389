package incident

import (
	"errors"
	"testing"
	"time"
)

func TestFingerprint(t *testing.T) {
	base := Signal{Kind: KindAnomaly, Source: "engine", Subject: "rows", Labels: map[string]string{"a": "1", "b": "2"}}
	same := base
	same.Labels = map[string]string{"b": "2", "a": "1"}
	same.Score, same.At, same.Evidence = 0.3, t0, "other"
	if Fingerprint(base) != Fingerprint(same) {
		t.Error("fingerprint depends on label order, score, time or evidence")
	}
	for name, mod := range map[string]func(*Signal){
		"kind":    func(s *Signal) { s.Kind = KindDrift },
		"source":  func(s *Signal) { s.Source = "rules" },
		"subject": func(s *Signal) { s.Subject = "bytes" },
		"node":    func(s *Signal) { s.Node = "pipeline:x" },
		"label":   func(s *Signal) { s.Labels = map[string]string{"a": "1", "b": "3"} },
		"split":   func(s *Signal) { s.Labels = map[string]string{"a": "1b", "": "2"} },
	} {
		s := base
		mod(&s)
		if Fingerprint(s) == Fingerprint(base) {
			t.Errorf("fingerprint ignores %s", name)
		}
	}
}

func TestProcessRejectsInvalid(t *testing.T) {
	m := newManager(t, Config{}, nil)
	for _, s := range []Signal{
		{Kind: "bogus", Subject: "x", At: t0},
		{Kind: KindAnomaly, At: t0},
		{Kind: KindAnomaly, Subject: "x"},
	} {
		if _, err := m.Process(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Process(%+v) = %v, want ErrInvalid", s, err)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		{GroupWindow: -time.Second},
		{FlapThreshold: -1},
		{Inhibit: []InhibitRule{{Source: Matchers{{Name: "a", Type: MatchRegexp, Value: "("}}, Target: Matchers{{Name: "b", Type: MatchEqual}}}}},
		{Inhibit: []InhibitRule{{Target: Matchers{{Name: "b", Type: MatchEqual}}}}},
	}
	for i, c := range bad {
		if _, err := New(c, nil, nil); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
}

func TestDedup(t *testing.T) {
	m := newManager(t, Config{}, nil)
	s := sig(KindRunFailure, "run orders", "pipeline:orders", 0, "pipeline", "orders")
	var ds []Decision
	for i := range 5 {
		s.At = t0.Add(time.Duration(i) * time.Minute)
		ds = append(ds, process(t, m, s)...)
	}
	incs := active(m)
	if len(incs) != 1 || len(incs[0].Alerts) != 1 {
		t.Fatalf("got %d incidents, want 1 with 1 alert", len(incs))
	}
	a := incs[0].Alerts[0]
	if a.Count != 5 || incs[0].Signals != 5 || !a.LastAt.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("alert count %d, signals %d, last %v", a.Count, incs[0].Signals, a.LastAt)
	}
	if count(ds, DecisionOpen) != 1 || count(ds, DecisionNotify) != 1 {
		t.Errorf("decisions %+v: want one open and one notify", ds)
	}
}

func TestGrouping(t *testing.T) {
	tests := []struct {
		name    string
		groupBy []string
		signals []Signal
		want    int
	}{
		{"same pipeline", nil, []Signal{
			sig(KindAnomaly, "rows", "", 0, "pipeline", "orders"),
			sig(KindLateness, "run", "", time.Minute, "pipeline", "orders"),
		}, 1},
		{"other pipeline", nil, []Signal{
			sig(KindAnomaly, "rows", "", 0, "pipeline", "orders"),
			sig(KindAnomaly, "rows", "", time.Minute, "pipeline", "payments"),
		}, 2},
		{"after the window", nil, []Signal{
			sig(KindAnomaly, "rows", "", 0, "pipeline", "orders"),
			sig(KindLateness, "run", "", 31*time.Minute, "pipeline", "orders"),
		}, 2},
		{"window counts from the last signal", nil, []Signal{
			sig(KindAnomaly, "rows", "", 0, "pipeline", "orders"),
			sig(KindAnomaly, "rows", "", 20*time.Minute, "pipeline", "orders"),
			sig(KindLateness, "run", "", 45*time.Minute, "pipeline", "orders"),
		}, 1},
		{"two labels", []string{"team", "env"}, []Signal{
			sig(KindAnomaly, "a", "", 0, "team", "x", "env", "prod"),
			sig(KindAnomaly, "b", "", 0, "team", "x", "env", "prod", "pipeline", "p"),
			sig(KindAnomaly, "c", "", 0, "team", "x", "env", "dev"),
		}, 2},
		{"no group labels: by node", nil, []Signal{
			sig(KindAnomaly, "a", "dataset:x", 0),
			sig(KindFreshness, "b", "dataset:x", 0),
			sig(KindAnomaly, "c", "dataset:y", 0),
		}, 2},
		{"no group labels: by subject", []string{}, []Signal{
			sig(KindAnomaly, "a", "", 0),
			sig(KindDrift, "a", "", 0),
			sig(KindAnomaly, "b", "", 0),
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, Config{GroupBy: tt.groupBy, ResolveTimeout: time.Hour}, nil)
			process(t, m, tt.signals...)
			if got := len(active(m)); got != tt.want {
				t.Errorf("got %d incidents, want %d", got, tt.want)
			}
		})
	}
}

func TestLineageCorrelation(t *testing.T) {
	g := newFakeGraph("dataset:raw>pipeline:stg", "pipeline:stg>dataset:stg", "dataset:stg>pipeline:mart", "dataset:other>pipeline:x")
	cfg := Config{GroupBy: []string{}}
	t.Run("symptom joins its upstream cause", func(t *testing.T) {
		m := newManager(t, cfg, g)
		process(t, m,
			sig(KindRunFailure, "raw", "dataset:raw", 0),
			sig(KindFreshness, "stg", "dataset:stg", time.Minute),
			sig(KindLateness, "mart", "pipeline:mart", 2*time.Minute),
			sig(KindAnomaly, "x", "pipeline:x", 2*time.Minute))
		incs := active(m)
		if len(incs) != 2 {
			t.Fatalf("got %d incidents, want 2", len(incs))
		}
		inc := incs[0]
		if inc.RootNode != "dataset:raw" || len(inc.Alerts) != 3 {
			t.Fatalf("incident %+v", inc)
		}
		for _, a := range inc.Alerts[1:] {
			if a.Role != RoleSymptom {
				t.Errorf("%s is %s, want symptom", a.Node, a.Role)
			}
		}
	})
	t.Run("a later upstream cause becomes the root", func(t *testing.T) {
		m := newManager(t, cfg, g)
		ds := process(t, m,
			sig(KindLateness, "mart", "pipeline:mart", 0),
			sig(KindRunFailure, "raw", "dataset:raw", time.Minute))
		incs := active(m)
		if len(incs) != 1 || incs[0].RootNode != "dataset:raw" {
			t.Fatalf("incidents %+v", incs)
		}
		p, _ := m.Incident(incs[0].ID)
		if p.Alerts[0].Role != RoleSymptom || p.Alerts[1].Role != RolePrimary || p.Primary != p.Alerts[1].Fingerprint {
			t.Errorf("roles %s, %s", p.Alerts[0].Role, p.Alerts[1].Role)
		}
		if count(ds, DecisionOpen) != 1 {
			t.Errorf("decisions %+v", ds)
		}
	})
	t.Run("a common root merges sibling incidents", func(t *testing.T) {
		g := newFakeGraph("dataset:raw>pipeline:a", "dataset:raw>pipeline:b", "pipeline:b>dataset:b")
		m := newManager(t, cfg, g)
		ds := process(t, m,
			sig(KindLateness, "a", "pipeline:a", 0),
			sig(KindFreshness, "b", "dataset:b", time.Minute),
			sig(KindLateness, "b", "pipeline:b", time.Minute),
			sig(KindRunFailure, "raw", "dataset:raw", 2*time.Minute))
		incs := active(m)
		if len(incs) != 1 || incs[0].RootNode != "dataset:raw" || len(incs[0].Alerts) != 4 || incs[0].Signals != 4 {
			t.Fatalf("incidents %+v", incs)
		}
		merged, _ := m.Incident("inc-000002")
		if merged.Status != StatusResolved || merged.MergedInto != "inc-000001" || len(merged.Alerts) != 0 {
			t.Errorf("merged incident %+v", merged)
		}
		if count(ds, DecisionResolve) != 1 {
			t.Errorf("decisions %+v", ds)
		}
		for _, a := range incs[0].Alerts {
			if want := RoleSymptom; a.Node != "dataset:raw" && a.Role != want {
				t.Errorf("%s is %s", a.Node, a.Role)
			}
		}
		// Later Signals on the merged nodes join the surviving incident.
		process(t, m, sig(KindAnomaly, "b rows", "dataset:b", 3*time.Minute))
		if n := len(active(m)); n != 1 {
			t.Errorf("%d incidents after the merge", n)
		}
	})
	t.Run("outside the correlation window", func(t *testing.T) {
		m := newManager(t, Config{GroupBy: []string{}, CorrelationWindow: 5 * time.Minute, ResolveTimeout: time.Hour}, g)
		process(t, m,
			sig(KindRunFailure, "raw", "dataset:raw", 0),
			sig(KindFreshness, "stg", "dataset:stg", 6*time.Minute))
		if n := len(active(m)); n != 2 {
			t.Errorf("got %d incidents, want 2", n)
		}
	})
	t.Run("resolved incidents do not correlate", func(t *testing.T) {
		m := newManager(t, cfg, g)
		process(t, m, sig(KindRunFailure, "raw", "dataset:raw", 0))
		if _, err := m.Resolve("inc-000001", "ann", "fixed", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		process(t, m, sig(KindFreshness, "stg", "dataset:stg", 2*time.Minute))
		if incs := active(m); len(incs) != 1 || incs[0].ID != "inc-000002" {
			t.Errorf("incidents %+v", incs)
		}
	})
}

func TestMinDuration(t *testing.T) {
	m := newManager(t, Config{MinDuration: 5 * time.Minute}, nil)
	s := sig(KindAnomaly, "rows", "", 0, "pipeline", "orders")
	ds := process(t, m, s)
	ds = append(ds, m.Tick(t0.Add(4*time.Minute))...)
	if n := count(ds, DecisionNotify); n != 0 {
		t.Fatalf("notified before the minimum duration: %+v", ds)
	}
	s.At = t0.Add(3 * time.Minute)
	process(t, m, s)
	ds = m.Tick(t0.Add(5 * time.Minute))
	if count(ds, DecisionNotify) != 1 {
		t.Errorf("not notified after the minimum duration: %+v", ds)
	}
	if ds := m.Tick(t0.Add(6 * time.Minute)); count(ds, DecisionNotify) != 0 {
		t.Errorf("notified twice: %+v", ds)
	}
}

func TestFlapping(t *testing.T) {
	m := newManager(t, Config{MinDuration: 5 * time.Minute, FlapThreshold: 3, FlapWindow: 20 * time.Minute}, nil)
	s := sig(KindAnomaly, "rows", "", 0, "pipeline", "orders")
	var ds []Decision
	for i := range 3 {
		on := time.Duration(2*i) * time.Minute
		s.At = t0.Add(on)
		ds = append(ds, process(t, m, s, cleared(s, on+time.Minute))...)
	}
	if count(ds, DecisionFlapping) != 1 {
		t.Fatalf("not flapping: %+v", ds)
	}
	// It fires for long enough, but stays quiet because it flaps.
	s.At = t0.Add(6 * time.Minute)
	ds = process(t, m, s)
	for _, off := range []time.Duration{12, 14} {
		s.At = t0.Add(off * time.Minute)
		ds = append(ds, process(t, m, s)...)
		ds = append(ds, m.Tick(s.At)...)
	}
	if count(ds, DecisionNotify) != 0 || !active(m)[0].Flapping {
		t.Fatalf("notified while flapping: %+v", ds)
	}
	// Clears age out of the window: below half the threshold it is stable,
	// and the long-firing alert notifies.
	// Hysteresis: at 22m two of three clears remain, still flapping.
	if ds := m.Tick(t0.Add(22 * time.Minute)); count(ds, DecisionStable) != 0 {
		t.Fatalf("stable too early: %+v", ds)
	}
	ds = m.Tick(t0.Add(24 * time.Minute))
	if count(ds, DecisionStable) != 1 || count(ds, DecisionNotify) != 1 {
		t.Errorf("after the window: %+v", ds)
	}
}

func TestLifecycle(t *testing.T) {
	m := newManager(t, Config{}, nil)
	s := sig(KindRunFailure, "run", "", 0, "pipeline", "orders")
	process(t, m, s)
	id := "inc-000001"
	if _, err := m.Acknowledge("inc-404", "ann", "", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("acknowledge unknown: %v", err)
	}
	ds, err := m.Acknowledge(id, "ann", "looking", t0.Add(time.Minute))
	if err != nil || count(ds, DecisionAcknowledge) != 1 {
		t.Fatalf("acknowledge: %v %+v", err, ds)
	}
	if _, err := m.Acknowledge(id, "bob", "", t0); !errors.Is(err, ErrConflict) {
		t.Errorf("acknowledge twice: %v", err)
	}
	// An acknowledged incident still takes Signals but does not re-notify.
	s2 := sig(KindRunFailure, "run2", "", 2*time.Minute, "pipeline", "orders")
	if ds := process(t, m, s2); count(ds, DecisionNotify) != 0 || len(active(m)[0].Alerts) != 2 {
		t.Errorf("signal on an acknowledged incident: %+v", ds)
	}
	ds, err = m.Resolve(id, "ann", "restarted the source", t0.Add(3*time.Minute))
	if err != nil || count(ds, DecisionResolve) != 1 {
		t.Fatalf("resolve: %v %+v", err, ds)
	}
	if _, err := m.Resolve(id, "ann", "", t0); !errors.Is(err, ErrConflict) {
		t.Errorf("resolve twice: %v", err)
	}
	inc, _ := m.Incident(id)
	want := Transition{By: "ann", At: t0.Add(3 * time.Minute), Why: "restarted the source"}
	if inc.Status != StatusResolved || *inc.Resolved != want || inc.Acknowledged.By != "ann" || inc.Acknowledged.Why != "looking" {
		t.Errorf("incident %+v", inc)
	}
	// The same fingerprint after resolution opens a new incident.
	s.At = t0.Add(4 * time.Minute)
	if ds := process(t, m, s); count(ds, DecisionOpen) != 1 {
		t.Errorf("after resolution: %+v", ds)
	}
	// Feedback.
	if _, err := m.Feedback(id, Feedback{Verdict: "meh"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad verdict: %v", err)
	}
	if _, err := m.Feedback(id, Feedback{Verdict: Duplicate}); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate of nothing: %v", err)
	}
	for _, v := range []Verdict{FalsePositive, TruePositive} {
		if _, err := m.Feedback(id, Feedback{Verdict: v, By: "ann", At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if inc, _ := m.Incident(id); inc.Feedback == nil || inc.Feedback.Verdict != TruePositive {
		t.Errorf("feedback %+v", inc.Feedback)
	}
	if _, err := m.Feedback("inc-000002", Feedback{Verdict: Duplicate, DuplicateOf: id, By: "bob", At: t0}); err != nil {
		t.Error(err)
	}
}

func TestAutoResolve(t *testing.T) {
	m := newManager(t, Config{ResolveAfter: 10 * time.Minute, ResolveTimeout: 15 * time.Minute}, nil)
	a := sig(KindRunFailure, "a", "", 0, "pipeline", "orders")
	b := sig(KindAnomaly, "b", "", 0, "pipeline", "orders")
	process(t, m, a, b, cleared(a, 5*time.Minute))
	if ds := m.Tick(t0.Add(14 * time.Minute)); count(ds, DecisionResolve) != 0 {
		t.Fatalf("resolved while b fires: %+v", ds)
	}
	// b never clears; it times out at 15m and the incident resolves 10m
	// later.
	if ds := m.Tick(t0.Add(24 * time.Minute)); count(ds, DecisionResolve) != 0 {
		t.Fatalf("resolved early: %+v", ds)
	}
	ds := m.Tick(t0.Add(25 * time.Minute))
	if count(ds, DecisionResolve) != 1 {
		t.Fatalf("not resolved: %+v", ds)
	}
	inc, _ := m.Incident("inc-000001")
	if inc.Resolved.By != AutoResolver || inc.Resolved.Why == "" {
		t.Errorf("resolution %+v", inc.Resolved)
	}
}

func TestEvidenceIsCapped(t *testing.T) {
	m := newManager(t, Config{MaxEvidence: 5}, nil)
	s := sig(KindAnomaly, "rows", "", 0)
	s.Evidence = "abcdé" // é is two bytes: the cut must not split it
	process(t, m, s)
	if got := active(m)[0].Alerts[0].Evidence; got != "abcd" {
		t.Errorf("evidence %q", got)
	}
}
