package remediate

import (
	"strings"
	"testing"
	"time"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		spec PolicySpec
		want string
	}{
		{PolicySpec{When: "true", Action: ActionRetryRun}, "needs a name"},
		{PolicySpec{Name: "p", When: "incident.kind ==", Action: ActionRetryRun}, `remediation.policies[0] (p): when "incident.kind =="`},
		{PolicySpec{Name: "p", When: "incident.kind", Action: ActionRetryRun}, "not a bool"},
		{PolicySpec{Name: "p", When: "true", Action: "reboot"}, `unknown action "reboot"`},
		{PolicySpec{Name: "p", When: "true", Action: ActionRetryRun, Cooldown: -1}, "must not be negative"},
	} {
		if _, err := Compile([]PolicySpec{c.spec}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.spec, err, c.want)
		}
	}
	if _, err := Compile([]PolicySpec{{Name: "p", When: "true", Action: ActionRetryRun}, {Name: "p", When: "true", Action: ActionRetryRun}}); err == nil {
		t.Error("duplicate names accepted")
	}
}

// TestGuardrails follows one policy through its guardrails: it acts, is
// held by its cool-down, by its rate limit, by the kill switch, and only
// records in dry-run; incidents it does not match get no decision.
func TestGuardrails(t *testing.T) {
	ps, err := Compile([]PolicySpec{{Name: "retry-failed", When: `incident.kind == "run_failure" && incident.severity != "info"`,
		Action: ActionRetryRun, Cooldown: 10 * time.Minute, MaxPerHour: 2}})
	if err != nil {
		t.Fatal(err)
	}
	a := New(ps)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	in := Input{ID: "inc-1", Kind: "run_failure", Severity: "error", Pipeline: "orders"}
	outcome := func(at time.Time, in Input) (Outcome, string) {
		t.Helper()
		ds, err := a.Decide(at, in)
		if err != nil || len(ds) != 1 {
			t.Fatalf("decisions %+v, %v", ds, err)
		}
		return ds[0].Outcome, ds[0].Guardrail
	}
	if o, _ := outcome(t0, in); o != Act {
		t.Fatalf("first: %s", o)
	}
	if o, g := outcome(t0.Add(5*time.Minute), in); o != Blocked || g != "cooldown" {
		t.Fatalf("within the cool-down: %s %s", o, g)
	}
	other := in
	other.Pipeline = "payments"
	if o, _ := outcome(t0.Add(5*time.Minute), other); o != Act {
		t.Fatalf("another target: %s", o)
	}
	if o, g := outcome(t0.Add(20*time.Minute), in); o != Blocked || g != "rate_limit" {
		t.Fatalf("third action within the hour: %s %s", o, g)
	}
	if o, _ := outcome(t0.Add(61*time.Minute), in); o != Act {
		t.Fatalf("an hour later: %s", o)
	}
	a.KillSwitch = true
	if o, g := outcome(t0.Add(3*time.Hour), in); o != Blocked || g != "kill_switch" {
		t.Fatalf("kill switch: %s %s", o, g)
	}
	a.KillSwitch, a.DryRun = false, true
	if o, _ := outcome(t0.Add(4*time.Hour), in); o != DryRun {
		t.Fatalf("dry run: %s", o)
	}
	a.DryRun = false
	// A dry run did not count: the policy acts at once.
	if o, _ := outcome(t0.Add(4*time.Hour+time.Minute), in); o != Act {
		t.Fatalf("after the dry run: %s", o)
	}
	noTarget := in
	noTarget.Pipeline = ""
	if o, g := outcome(t0.Add(5*time.Hour), noTarget); o != Blocked || g != "no_target" {
		t.Fatalf("no target: %s %s", o, g)
	}
	if ds, _ := a.Decide(t0, Input{ID: "inc-2", Kind: "anomaly", Severity: "error", Pipeline: "orders"}); len(ds) != 0 {
		t.Fatalf("an anomaly matched: %+v", ds)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add(`incident.kind == "run_failure"`)
	f.Add(`incident.signals > 3 && incident.pipeline.startsWith("ingest")`)
	f.Add(`(`)
	f.Fuzz(func(t *testing.T, when string) {
		ps, err := Compile([]PolicySpec{{Name: "p", When: when, Action: ActionRetryRun}})
		if err != nil {
			if !strings.Contains(err.Error(), "remediation.policies[0] (p)") {
				t.Fatalf("error without the policy's name: %v", err)
			}
			return
		}
		// A compiled policy evaluates without panicking; an error is fine.
		_, _ = New(ps).Decide(time.Unix(0, 0), Input{ID: "i", Kind: "run_failure", Pipeline: "p"})
	})
}
