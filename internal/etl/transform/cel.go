package transform

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// rowVar is the name expressions use for the current row.
const rowVar = "row"

// newEnv returns the CEL environment of transform expressions: the variable
// row, a map from column name to value, the standard library with numbers
// of different types comparable, and the strings and math extensions. It
// has no clock and no I/O, so an expression's value depends on the row only.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(rowVar, cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
		ext.Math(),
	)
}

// program is a compiled expression.
type program struct {
	expr string
	prg  cel.Program
	out  *cel.Type
	refs []string // The columns the expression names literally.
	// column is the column the expression is, when it is nothing but
	// row.name or row["name"].
	column string
}

// compile parses, checks and plans expr.
func compile(env *cel.Env, expr string) (*program, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	return &program{expr: expr, prg: prg, out: ast.OutputType(), refs: columnRefs(ast), column: bareColumn(ast)}, nil
}

// bareColumn returns the column an expression is, if it is nothing but a
// column reference.
func bareColumn(ast *cel.Ast) string {
	e := ast.NativeRep().Expr()
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if isRow(sel.Operand()) && !sel.IsTestOnly() {
			return sel.FieldName()
		}
	case celast.CallKind:
		if name, ok := indexedColumn(e); ok {
			return name
		}
	}
	return ""
}

// isRow reports whether e is the variable row.
func isRow(e celast.Expr) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == rowVar
}

// indexedColumn returns the column of an expression row["name"].
func indexedColumn(e celast.Expr) (string, bool) {
	call := e.AsCall()
	args := call.Args()
	if call.FunctionName() != operators.Index || len(args) != 2 || !isRow(args[0]) || args[1].Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := args[1].AsLiteral().(types.String)
	return string(s), ok
}

// columnRefs returns the columns an expression reads as row.name or
// row["name"], in order of appearance, without repeats. Presence tests,
// has(row.name), are not references: they work on any row.
func columnRefs(ast *cel.Ast) []string {
	var refs []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			refs = append(refs, name)
		}
	}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.SelectKind:
			sel := e.AsSelect()
			if isRow(sel.Operand()) && !sel.IsTestOnly() {
				add(sel.FieldName())
			}
		case celast.CallKind:
			if name, ok := indexedColumn(e); ok {
				add(name)
			}
		}
	}))
	return refs
}

// eval evaluates the program on a row.
func (p *program) eval(act *rowActivation) (ref.Val, error) {
	out, _, err := p.prg.Eval(act)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// staticType returns the column type of an expression's checked result
// type, "" when only the values will tell (dyn, null), or an error for
// results that are not scalars.
func staticType(t *cel.Type) (connector.Type, error) {
	switch t.Kind() {
	case types.BoolKind:
		return connector.TypeBool, nil
	case types.IntKind, types.UintKind:
		return connector.TypeInt, nil
	case types.DoubleKind:
		return connector.TypeFloat, nil
	case types.StringKind, types.BytesKind, types.DurationKind:
		return connector.TypeString, nil
	case types.TimestampKind:
		return connector.TypeTime, nil
	case types.DynKind, types.AnyKind, types.TypeParamKind, types.NullTypeKind:
		return "", nil
	}
	return "", fmt.Errorf("returns %s, want a scalar (string, int, double, bool or timestamp)", t)
}

// goValue converts an expression's result to a column value.
func goValue(v ref.Val) (any, error) {
	switch v := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(v), nil
	case types.Int:
		return int64(v), nil
	case types.Uint:
		if uint64(v) > math.MaxInt64 {
			return nil, fmt.Errorf("%d is too large for an int", uint64(v))
		}
		return int64(v), nil
	case types.Double:
		return float64(v), nil
	case types.String:
		return string(v), nil
	case types.Bytes:
		return string(v), nil
	case types.Timestamp:
		return v.Time.UTC(), nil
	case types.Duration:
		return v.Duration.String(), nil
	}
	return nil, fmt.Errorf("result is a %s, want a scalar (string, int, double, bool or timestamp)", v.Type().TypeName())
}

// celValue converts a column value to CEL.
func celValue(v any) ref.Val {
	switch v := v.(type) {
	case nil:
		return types.NullValue
	case int64:
		return types.Int(v)
	case float64:
		return types.Double(v)
	case string:
		return types.String(v)
	case bool:
		return types.Bool(v)
	case time.Time:
		return types.Timestamp{Time: v}
	}
	return types.NewErr("unsupported column value %T", v)
}

// rowActivation resolves the variable row to the current row.
type rowActivation struct {
	row rowValue
}

// ResolveName returns the current row for the name row.
func (a *rowActivation) ResolveName(name string) (any, bool) {
	if name == rowVar {
		return &a.row, true
	}
	return nil, false
}

// Parent returns nil: there are no other variables.
func (a *rowActivation) Parent() cel.Activation { return nil }

// rowValue presents a row to CEL as a map from column name to value,
// without building a map.
type rowValue struct {
	index  map[string]int // Column positions, shared by the rows of a schema.
	schema connector.Schema
	vals   []any
}

var (
	_ traits.Mapper  = (*rowValue)(nil)
	_ cel.Activation = (*rowActivation)(nil)
)

// Find returns the value of a column.
func (r *rowValue) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return nil, false
	}
	i, ok := r.index[string(k)]
	if !ok {
		return nil, false
	}
	return celValue(r.vals[i]), true
}

// Get returns the value of a column, or an error naming it.
func (r *rowValue) Get(key ref.Val) ref.Val {
	if v, ok := r.Find(key); ok {
		return v
	}
	return types.NewErr("no such column: %v", key)
}

// Contains reports whether the row has a column.
func (r *rowValue) Contains(key ref.Val) ref.Val {
	_, ok := r.Find(key)
	return types.Bool(ok)
}

// Size returns the number of columns.
func (r *rowValue) Size() ref.Val { return types.Int(len(r.schema)) }

// Iterator iterates over the column names.
func (r *rowValue) Iterator() traits.Iterator {
	return types.NewStringList(types.DefaultTypeAdapter, r.schema.Names()).Iterator()
}

// native returns the row as a map.
func (r *rowValue) native() map[string]any {
	m := make(map[string]any, len(r.schema))
	for i, c := range r.schema {
		m[c.Name] = r.vals[i]
	}
	return m
}

// ConvertToNative converts the row to a Go map.
func (r *rowValue) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return types.DefaultTypeAdapter.NativeToValue(r.native()).ConvertToNative(typeDesc)
}

// ConvertToType converts the row to a CEL type: it is a map.
func (r *rowValue) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case types.MapType:
		return r
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %q", typeVal.TypeName())
}

// Equal compares the row with another map.
func (r *rowValue) Equal(other ref.Val) ref.Val {
	return types.DefaultTypeAdapter.NativeToValue(r.native()).Equal(other)
}

// Type returns the map type.
func (r *rowValue) Type() ref.Type { return types.MapType }

// Value returns the row as a Go map.
func (r *rowValue) Value() any { return r.native() }
