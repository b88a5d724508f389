// Package remediate decides which automatic fixes to apply to an
// incident: policies match incidents with CEL conditions and name an
// action; before any action, guardrails are checked in a fixed order —
// the global kill switch, the policy's cool-down per target, the policy's
// rate limit, dry-run — and every decision, taken or not, is returned
// with its reason for the audit log. It is pure: the caller gives the time
// and carries out the actions.
package remediate

import (
	"fmt"
	"slices"
	"time"

	"cel.dev/cel-go/cel"
)

// Input is what a policy's condition sees of an incident, as the CEL
// variable incident: incident.id, .kind (of its primary alert),
// .severity, .pipeline, .root_node, .signals.
type Input struct {
	ID, Kind, Severity, Pipeline, RootNode string
	Signals                                int
}

func (in Input) vars() map[string]any {
	return map[string]any{"incident": map[string]any{
		"id": in.ID, "kind": in.Kind, "severity": in.Severity, "pipeline": in.Pipeline,
		"root_node": in.RootNode, "signals": int64(in.Signals),
	}}
}

// The actions a policy can name.
const (
	// ActionRetryRun runs the failed tasks of the pipeline's latest failed
	// run again.
	ActionRetryRun = "retry_run"
)

// PolicySpec is a policy as configured.
type PolicySpec struct {
	Name string
	// When is a CEL condition over incident; it must give a bool.
	When   string
	Action string
	// Cooldown is how long after acting on a target the policy leaves it
	// alone; MaxPerHour bounds its actions over any hour.
	Cooldown   time.Duration
	MaxPerHour int
	// DryRun records what the policy would do without doing it.
	DryRun bool
}

// Policy is a compiled policy.
type Policy struct {
	PolicySpec
	prg cel.Program
}

// Compile checks and compiles the policies; errors name the policy and
// the expression.
func Compile(specs []PolicySpec) ([]Policy, error) {
	env, err := cel.NewEnv(cel.Variable("incident", cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		return nil, err
	}
	var out []Policy
	seen := map[string]bool{}
	for i, s := range specs {
		where := fmt.Sprintf("remediation.policies[%d] (%s)", i, s.Name)
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("remediation.policies[%d]: a policy needs a name", i)
		case seen[s.Name]:
			return nil, fmt.Errorf("%s: duplicate name", where)
		case s.Action != ActionRetryRun:
			return nil, fmt.Errorf("%s: unknown action %q (known: %s)", where, s.Action, ActionRetryRun)
		case s.Cooldown < 0 || s.MaxPerHour < 0:
			return nil, fmt.Errorf("%s: cooldown and max_per_hour must not be negative", where)
		}
		seen[s.Name] = true
		ast, iss := env.Compile(s.When)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%s: when %q: %w", where, s.When, iss.Err())
		}
		if ast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("%s: when %q gives %s, not a bool", where, s.When, ast.OutputType())
		}
		prg, err := env.Program(ast)
		if err != nil {
			return nil, fmt.Errorf("%s: when %q: %w", where, s.When, err)
		}
		out = append(out, Policy{PolicySpec: s, prg: prg})
	}
	return out, nil
}

// Outcome is what became of a decision.
type Outcome string

// The outcomes.
const (
	Act     Outcome = "act"     // Carry the action out.
	DryRun  Outcome = "dry_run" // Record it only.
	Blocked Outcome = "blocked" // A guardrail stopped it.
)

// Decision is one policy's verdict on one incident.
type Decision struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Policy   string    `json:"policy"`
	Action   string    `json:"action"`
	// Target is what the action applies to: the pipeline.
	Target  string  `json:"target"`
	Outcome Outcome `json:"outcome"`
	// Guardrail names what blocked it, with Reason saying why.
	Guardrail string `json:"guardrail,omitempty"`
	Reason    string `json:"reason"`
}

// Automator holds the policies and the guardrails' memory. It is not
// safe for concurrent use.
type Automator struct {
	policies []Policy
	// KillSwitch stops every action.
	KillSwitch bool
	// DryRun makes every policy a dry run.
	DryRun bool
	last   map[string]time.Time   // Policy and target → last action.
	recent map[string][]time.Time // Policy → actions in the last hour.
}

// New returns an Automator with compiled policies.
func New(policies []Policy) *Automator {
	return &Automator{policies: policies, last: map[string]time.Time{}, recent: map[string][]time.Time{}}
}

// Decide evaluates every policy on in at now and returns a decision for
// each that matches. Guardrails, in order: the kill switch; the
// incident's target (a pipeline to act on); the policy's cool-down on
// that target; its rate limit; dry-run (the policy's or the global one).
// Only decisions with outcome Act count against the cool-down and the
// rate.
func (a *Automator) Decide(now time.Time, in Input) ([]Decision, error) {
	var out []Decision
	for _, p := range a.policies {
		v, _, err := p.prg.Eval(in.vars())
		if err != nil {
			return out, fmt.Errorf("policy %s: when %q on incident %s: %w", p.Name, p.When, in.ID, err)
		}
		if match, ok := v.Value().(bool); !ok || !match {
			continue
		}
		d := Decision{At: now, Incident: in.ID, Policy: p.Name, Action: p.Action, Target: in.Pipeline}
		key := p.Name + "\x00" + in.Pipeline
		window := slices.DeleteFunc(a.recent[p.Name], func(t time.Time) bool { return now.Sub(t) >= time.Hour })
		a.recent[p.Name] = window
		switch last, seen := a.last[key]; {
		case a.KillSwitch:
			d.Outcome, d.Guardrail, d.Reason = Blocked, "kill_switch", "automation is switched off"
		case in.Pipeline == "":
			d.Outcome, d.Guardrail, d.Reason = Blocked, "no_target", "the incident names no pipeline to act on"
		case seen && now.Sub(last) < p.Cooldown:
			d.Outcome, d.Guardrail = Blocked, "cooldown"
			d.Reason = fmt.Sprintf("acted on %s %s ago; cool-down %s", in.Pipeline, now.Sub(last).Round(time.Second), p.Cooldown)
		case p.MaxPerHour > 0 && len(window) >= p.MaxPerHour:
			d.Outcome, d.Guardrail = Blocked, "rate_limit"
			d.Reason = fmt.Sprintf("%d actions in the last hour, at most %d", len(window), p.MaxPerHour)
		case p.DryRun || a.DryRun:
			d.Outcome, d.Reason = DryRun, fmt.Sprintf("would %s %s", p.Action, in.Pipeline)
		default:
			d.Outcome, d.Reason = Act, fmt.Sprintf("%s %s for incident %s", p.Action, in.Pipeline, in.ID)
			a.last[key] = now
			a.recent[p.Name] = append(window, now)
		}
		out = append(out, d)
	}
	return out, nil
}
