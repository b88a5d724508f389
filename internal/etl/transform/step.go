package transform

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"cel.dev/cel-go/cel"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// Step is one transform step. Exactly one of Filter, Map and Cast is set.
type Step struct {
	// Filter is a CEL boolean expression over row; rows for which it is
	// false or null are dropped.
	Filter string
	// Map builds each output row from CEL expressions over row, one per
	// output column, in this order. The output has these columns only.
	Map []Assignment
	// Cast converts columns to other types, as connector.Convert does.
	Cast map[string]connector.Type
}

// Assignment is one output column of a map step.
type Assignment struct {
	Column string
	Expr   string
}

// Assignments returns the assignments of a map from column to expression,
// ordered by column name, for specs that give map steps as YAML maps.
func Assignments(m map[string]string) []Assignment {
	out := make([]Assignment, 0, len(m))
	for col, expr := range m {
		out = append(out, Assignment{Column: col, Expr: expr})
	}
	slices.SortFunc(out, func(a, b Assignment) int {
		switch {
		case a.Column < b.Column:
			return -1
		case a.Column > b.Column:
			return 1
		}
		return 0
	})
	return out
}

// Policy is what happens to a row that fails: one a step cannot handle or
// the source cannot decode.
type Policy string

// The row failure policies.
const (
	PolicyFail       Policy = "fail"        // The task fails with the row number and the reason.
	PolicySkip       Policy = "skip"        // The row is dropped and counted.
	PolicyDeadLetter Policy = "dead_letter" // The row and its error go to the dead-letter sink.
)

// ParsePolicy returns the policy named s; empty means PolicyFail.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return PolicyFail, nil
	case PolicyFail, PolicySkip, PolicyDeadLetter:
		return p, nil
	}
	return "", fmt.Errorf("unknown row error policy %q (want fail, skip or dead_letter)", s)
}

// Options configure a Chain.
type Options struct {
	Policy Policy
	// DeadLetter receives the failed rows under PolicyDeadLetter; see
	// DeadLetter.Put. Returning an error fails the task.
	DeadLetter func(ctx context.Context, f *Failure) error
}

// Failure is a row that failed.
type Failure struct {
	Step   string // Such as transform[1] (map amount_usd), or source.
	Row    int64  // The 1-based position of the row in the input, or the source's record number.
	Record string // The row as a JSON object, or as the source read it.
	Err    error
}

// Error names the step, the row and the reason.
func (f *Failure) Error() string {
	return f.Step + ": row " + strconv.FormatInt(f.Row, 10) + ": " + f.Err.Error()
}

// Unwrap returns the reason.
func (f *Failure) Unwrap() error { return f.Err }

// Stats count what happened to the rows. After the last batch and Flush,
// In = Out + Filtered + Skipped + DeadLettered.
type Stats struct {
	In           int64 // Rows received, bad source rows included.
	Out          int64 // Rows emitted.
	Filtered     int64 // Rows a filter dropped.
	Skipped      int64 // Failed rows dropped under PolicySkip.
	DeadLettered int64 // Failed rows handed to the dead-letter sink.
}

// step is a compiled step.
type step struct {
	name   string
	filter *program
	maps   []mapColumn
	casts  []castColumn
}

// mapColumn is one compiled assignment.
type mapColumn struct {
	name   string // The step's name with the column, for errors.
	column string
	prog   *program
	typ    connector.Type // "" when the values decide.
}

// castColumn is one column of a cast step.
type castColumn struct {
	column string
	typ    connector.Type
}

// compileSteps compiles every expression of steps.
func compileSteps(steps []Step) ([]step, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("create expression environment: %w", err)
	}
	out := make([]step, 0, len(steps))
	for i, s := range steps {
		cs, err := compileStep(env, i, s)
		if err != nil {
			return nil, connector.WithClass(connector.ClassConfig, err)
		}
		out = append(out, cs)
	}
	return out, nil
}

func compileStep(env *cel.Env, i int, s Step) (step, error) {
	kinds := 0
	for _, set := range []bool{s.Filter != "", len(s.Map) > 0, len(s.Cast) > 0} {
		if set {
			kinds++
		}
	}
	prefix := fmt.Sprintf("transform[%d]", i)
	if kinds != 1 {
		return step{}, fmt.Errorf("%s: want exactly one of filter, map or cast", prefix)
	}
	switch {
	case s.Filter != "":
		name := prefix + " (filter)"
		p, err := compile(env, s.Filter)
		if err != nil {
			return step{}, fmt.Errorf("%s: compile %q: %w", name, s.Filter, err)
		}
		if k := p.out.Kind(); k != cel.BoolType.Kind() && k != cel.DynType.Kind() {
			return step{}, fmt.Errorf("%s: %q returns %s, want a bool", name, s.Filter, p.out)
		}
		return step{name: name, filter: p}, nil
	case len(s.Map) > 0:
		st := step{name: prefix + " (map)"}
		seen := map[string]bool{}
		for _, a := range s.Map {
			name := fmt.Sprintf("%s (map %s)", prefix, a.Column)
			if a.Column == "" || seen[a.Column] {
				return step{}, fmt.Errorf("%s: output columns must be named and distinct", name)
			}
			seen[a.Column] = true
			p, err := compile(env, a.Expr)
			if err != nil {
				return step{}, fmt.Errorf("%s: compile %q: %w", name, a.Expr, err)
			}
			typ, err := staticType(p.out)
			if err != nil {
				return step{}, fmt.Errorf("%s: %q %w", name, a.Expr, err)
			}
			st.maps = append(st.maps, mapColumn{name: name, column: a.Column, prog: p, typ: typ})
		}
		return st, nil
	default:
		st := step{name: prefix + " (cast)"}
		for col, typ := range s.Cast {
			if !typ.Valid() {
				return step{}, fmt.Errorf("%s: column %q: unknown type %q", st.name, col, typ)
			}
			st.casts = append(st.casts, castColumn{column: col, typ: typ})
		}
		slices.SortFunc(st.casts, func(a, b castColumn) int {
			switch {
			case a.column < b.column:
				return -1
			case a.column > b.column:
				return 1
			}
			return 0
		})
		return st, nil
	}
}
