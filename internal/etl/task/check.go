package task

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/transform"
)

// Assertions see the profile of the check's source as variables:
//
//	rows                 number of rows
//	nulls.<col>          null values in a column
//	distinct.<col>       distinct non-null values
//	min.<col>, max.<col> smallest and largest values (numbers, strings, times)
//	sum.<col>            sum of a numeric column
//
// for example "rows > 0", "nulls.customer_id == 0", "max.amount < 100000.0".
func checkEnv() (*cel.Env, error) {
	counts := cel.MapType(cel.StringType, cel.IntType)
	values := cel.MapType(cel.StringType, cel.DynType)
	return cel.NewEnv(
		cel.Variable("rows", cel.IntType),
		cel.Variable("nulls", counts),
		cel.Variable("distinct", counts),
		cel.Variable("min", values),
		cel.Variable("max", values),
		cel.Variable("sum", cel.MapType(cel.StringType, cel.DoubleType)),
	)
}

// compileAsserts compiles every assertion before any row is read, so a
// typo fails the task at once with the expression named.
func compileAsserts(asserts []string) ([]cel.Program, error) {
	env, err := checkEnv()
	if err != nil {
		return nil, fmt.Errorf("check environment: %w", err)
	}
	progs := make([]cel.Program, 0, len(asserts))
	for i, expr := range asserts {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("assert[%d] %q: %w", i, expr, iss.Err())
		}
		if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
			return nil, fmt.Errorf("assert[%d] %q: is %s, not a boolean", i, expr, ast.OutputType())
		}
		p, err := env.Program(ast)
		if err != nil {
			return nil, fmt.Errorf("assert[%d] %q: %w", i, expr, err)
		}
		progs = append(progs, p)
	}
	return progs, nil
}

// runCheck reads the source, profiles it and evaluates every assertion;
// the check fails (class data) naming each assertion that does not hold.
func (at *attempt) runCheck(ctx context.Context) error {
	t := at.a.Spec
	if t.Source == nil || len(t.Assert) == 0 {
		return connector.Errorf(connector.ClassConfig, "check %s needs a source and at least one assert", t.Name)
	}
	progs, err := compileAsserts(t.Assert)
	if err != nil {
		return connector.WithClass(connector.ClassConfig, err)
	}
	src, err := at.r.reg.NewSource(t.Source.Connector, t.Source.Settings)
	if err != nil {
		return connector.WithClass(connector.ClassConfig, fmt.Errorf("source: %w", err))
	}
	prof := transform.NewProfiler()
	err = connector.ReadRun(ctx, src, connector.ReadOptions{Run: at.runInfo()}, func(b connector.Batch) error {
		at.usage.RowsIn += int64(b.Len())
		at.usage.Bytes += b.Bytes()
		prof.Add(b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	vars := profileVars(prof)
	var failed []string
	for i, p := range progs {
		out, _, err := p.ContextEval(ctx, vars)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%q: %v", t.Assert[i], err))
			continue
		}
		if ok, isBool := out.Value().(bool); !isBool || !ok {
			failed = append(failed, fmt.Sprintf("%q is %v", t.Assert[i], out.Value()))
		}
	}
	at.logf("info", "checked %d rows against %d assertions", prof.Rows(), len(progs))
	if len(failed) > 0 {
		return connector.Errorf(connector.ClassData, "check failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

func profileVars(p *transform.Profiler) map[string]any {
	nulls, distinct := map[string]int64{}, map[string]int64{}
	mins, maxs, sums := map[string]any{}, map[string]any{}, map[string]float64{}
	for _, c := range p.Columns() {
		nulls[c.Name] = c.Nulls
		distinct[c.Name] = c.Distinct
		sums[c.Name] = c.Sum
		if c.Min != nil {
			mins[c.Name] = celValue(c.Min)
			maxs[c.Name] = celValue(c.Max)
		}
	}
	return map[string]any{"rows": p.Rows(), "nulls": nulls, "distinct": distinct, "min": mins, "max": maxs, "sum": sums}
}

// celValue converts profile values to what CEL compares naturally.
func celValue(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}
