package transform

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"cel.dev/cel-go/common/types"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// holdLimit bounds the rows a Chain holds back while it learns the types of
// output columns whose expressions are dynamically typed. Columns still
// without a non-null value then become strings.
const holdLimit = 10000

// Chain applies compiled steps to a stream of batches. It is not safe for
// concurrent use: a task gives each of its attempts a Chain of its own.
type Chain struct {
	steps []step
	opts  Options
	stats Stats
	rows  int64 // Rows received so far.

	in      connector.Schema // The input schema the plans are bound to.
	plans   []plan
	out     connector.Schema // The output schema; "" types are not known yet.
	learned []int            // Output columns typed by their first non-null value.
	origin  []string         // The step that makes each output column.
	typed   bool             // Every output type is known.
	held    []heldRow        // Rows held back until the output types are known.
	emitted bool
	act     rowActivation
}

// plan is a step bound to its input schema.
type plan struct {
	schema  connector.Schema
	index   map[string]int
	castIdx []int
}

// heldRow is an output row held back, with what a failure report needs.
type heldRow struct {
	out, in []any
	num     int64
}

// Compile compiles steps for a task. Every expression is compiled here, so
// an expression that does not compile, or a step that is not exactly one of
// filter, map and cast, fails before any row is read, with an error of class
// config naming the step and the expression.
func Compile(steps []Step, opts Options) (*Chain, error) {
	if opts.Policy == "" {
		opts.Policy = PolicyFail
	}
	if _, err := ParsePolicy(string(opts.Policy)); err != nil {
		return nil, connector.WithClass(connector.ClassConfig, err)
	}
	if opts.Policy == PolicyDeadLetter && opts.DeadLetter == nil {
		return nil, connector.Errorf(connector.ClassConfig, "policy dead_letter needs a dead-letter sink")
	}
	compiled, err := compileSteps(steps)
	if err != nil {
		return nil, err
	}
	return &Chain{steps: compiled, opts: opts}, nil
}

// Stats returns the counts so far.
func (c *Chain) Stats() Stats { return c.stats }

// OnRowError returns a handler for connector.ReadOptions.OnRowError that
// puts the rows a source cannot decode through the chain's policy.
func (c *Chain) OnRowError(ctx context.Context) func(*connector.RowError) error {
	return func(e *connector.RowError) error {
		c.stats.In++
		if c.opts.Policy == PolicyFail {
			return e
		}
		return c.failed(ctx, &Failure{Step: "source", Row: e.Record, Record: e.Raw, Err: e})
	}
}

// Process transforms a batch and emits the result, unless every row was
// dropped. While the types of dynamically typed output columns are not
// known, rows are held back and emitted later, in order; Flush emits what
// is left at the end.
func (c *Chain) Process(ctx context.Context, in connector.Batch, emit func(connector.Batch) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.bind(in.Schema); err != nil {
		return err
	}
	var alloc rowAlloc
	out := make([][]any, 0, len(in.Rows))
	for _, row := range in.Rows {
		c.rows++
		c.stats.In++
		res, keep, where, err := c.apply(row, &alloc)
		switch {
		case err != nil:
			if err := c.failed(ctx, c.failure(where, c.rows, row, err)); err != nil {
				return err
			}
		case !keep:
			c.stats.Filtered++
		case !c.typed:
			c.held = append(c.held, heldRow{out: res, in: row, num: c.rows})
			c.learn(res)
		default:
			ok, err := c.conform(ctx, res, row, c.rows)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, res)
			}
		}
	}
	if !c.typed && (c.allLearned() || len(c.held) >= holdLimit) {
		return c.release(ctx, emit)
	}
	return c.emit(out, emit)
}

// Flush emits the rows still held back. If the chain never emitted a batch,
// it emits an empty one, so that the sink learns the output schema.
func (c *Chain) Flush(ctx context.Context, emit func(connector.Batch) error) error {
	if c.in == nil {
		return nil // No input, so no schema.
	}
	if !c.typed {
		if err := c.release(ctx, emit); err != nil {
			return err
		}
	}
	if !c.emitted {
		c.emitted = true
		return emit(connector.Batch{Schema: c.out})
	}
	return nil
}

func (c *Chain) emit(rows [][]any, emit func(connector.Batch) error) error {
	if len(rows) == 0 {
		return nil
	}
	c.stats.Out += int64(len(rows))
	c.emitted = true
	return emit(connector.Batch{Schema: c.out, Rows: rows})
}

// bind plans the steps for the input schema, checking that the columns the
// expressions and casts name exist.
func (c *Chain) bind(schema connector.Schema) error {
	if c.in != nil {
		if !c.in.Equal(schema) {
			return connector.Errorf(connector.ClassSchema, "input columns changed from (%s) to (%s) during the read", c.in, schema)
		}
		return nil
	}
	cur := schema
	origin := make([]string, len(schema))
	for i := range origin {
		origin[i] = "input"
	}
	c.plans = make([]plan, len(c.steps))
	for i, s := range c.steps {
		p := plan{schema: cur, index: make(map[string]int, len(cur))}
		for j, col := range cur {
			p.index[col.Name] = j
		}
		switch {
		case s.filter != nil:
			if err := checkRefs(s.name, s.filter, cur, p.index); err != nil {
				return err
			}
		case s.maps != nil:
			next := make(connector.Schema, len(s.maps))
			origin = make([]string, len(s.maps))
			for j, m := range s.maps {
				if err := checkRefs(m.name, m.prog, cur, p.index); err != nil {
					return err
				}
				typ := m.typ
				if k, ok := p.index[m.prog.column]; ok && typ == "" {
					typ = cur[k].Type // A bare column reference keeps its column's type.
				}
				next[j] = connector.Column{Name: m.column, Type: typ}
				origin[j] = m.name
			}
			cur = next
		default:
			next := append(connector.Schema(nil), cur...)
			for _, cc := range s.casts {
				j, ok := p.index[cc.column]
				if !ok {
					return connector.Errorf(connector.ClassSchema, "%s: column %q is not among the input columns (%s)", s.name, cc.column, names(cur))
				}
				p.castIdx = append(p.castIdx, j)
				next[j].Type = cc.typ
				origin[j] = s.name
			}
			cur = next
		}
		c.plans[i] = p
	}
	c.in, c.out, c.origin = schema, cur, origin
	c.typed = true
	for j, col := range cur {
		if col.Type == "" {
			c.learned = append(c.learned, j)
			c.typed = false
		}
	}
	return nil
}

// checkRefs verifies that the columns an expression names are in schema.
func checkRefs(step string, p *program, schema connector.Schema, index map[string]int) error {
	for _, r := range p.refs {
		if _, ok := index[r]; !ok {
			return connector.Errorf(connector.ClassSchema, "%s: %q reads column %q, which is not among the input columns (%s)",
				step, p.expr, r, names(schema))
		}
	}
	return nil
}

func names(s connector.Schema) string { return strings.Join(s.Names(), ", ") }

// apply runs the steps on one row. It returns the output row and whether
// the row is kept, or the failing step and the error.
func (c *Chain) apply(row []any, alloc *rowAlloc) (out []any, keep bool, where string, err error) {
	cur := row
	for i := range c.steps {
		s, p := &c.steps[i], &c.plans[i]
		switch {
		case s.filter != nil:
			c.act.row = rowValue{index: p.index, schema: p.schema, vals: cur}
			v, err := s.filter.eval(&c.act)
			if err != nil {
				return nil, false, s.name, withValues(err, s.filter, p, cur)
			}
			switch v := v.(type) {
			case types.Bool:
				if !v {
					return nil, false, "", nil
				}
			case types.Null:
				return nil, false, "", nil
			default:
				return nil, false, s.name, fmt.Errorf("%q returned a %s, want a bool", s.filter.expr, v.Type().TypeName())
			}
		case s.maps != nil:
			next := alloc.next(len(s.maps))
			c.act.row = rowValue{index: p.index, schema: p.schema, vals: cur}
			for j, m := range s.maps {
				if k, ok := p.index[m.prog.column]; ok {
					next[j] = cur[k] // A bare column reference needs no evaluation.
					continue
				}
				v, err := m.prog.eval(&c.act)
				if err != nil {
					return nil, false, m.name, withValues(err, m.prog, p, cur)
				}
				g, err := goValue(v)
				if err != nil {
					return nil, false, m.name, err
				}
				next[j] = g
			}
			cur = next
		default:
			next := alloc.next(len(cur))
			copy(next, cur)
			for k, cc := range s.casts {
				j := p.castIdx[k]
				v, err := connector.Convert(next[j], cc.typ)
				if err != nil {
					return nil, false, s.name, fmt.Errorf("column %q: %w", cc.column, err)
				}
				next[j] = v
			}
			cur = next
		}
	}
	return cur, true, "", nil
}

// withValues adds the values of the columns an expression reads to the
// error it failed with, which CEL words in terms of types and operators
// only ("no such overload: _/_").
func withValues(err error, p *program, pl *plan, row []any) error {
	if len(p.refs) == 0 {
		return err
	}
	var b strings.Builder
	for i, r := range p.refs {
		if i == 4 {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r)
		b.WriteString(" = ")
		switch v := row[pl.index[r]].(type) {
		case nil:
			b.WriteString("null")
		case string:
			b.WriteString(shorten(strconv.Quote(v), 40))
		default:
			b.WriteString(connector.FormatValue(v))
		}
	}
	return fmt.Errorf("%w (with %s)", err, b.String())
}

// shorten cuts s to at most n bytes, on a character boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// learn types the output columns still untyped from a row's values.
func (c *Chain) learn(row []any) {
	for _, j := range c.learned {
		if c.out[j].Type == "" && row[j] != nil {
			c.out[j].Type, _ = connector.TypeOf(row[j])
		}
	}
}

func (c *Chain) allLearned() bool {
	for _, j := range c.learned {
		if c.out[j].Type == "" {
			return false
		}
	}
	return true
}

// release fixes the output types, strings for columns without a value, and
// emits the held rows that conform.
func (c *Chain) release(ctx context.Context, emit func(connector.Batch) error) error {
	for _, j := range c.learned {
		if c.out[j].Type == "" {
			c.out[j].Type = connector.TypeString
		}
	}
	c.typed = true
	out := make([][]any, 0, len(c.held))
	for _, h := range c.held {
		ok, err := c.conform(ctx, h.out, h.in, h.num)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, h.out)
		}
	}
	c.held = nil
	return c.emit(out, emit)
}

// conform converts the values of learned columns to their types. A value
// that does not convert fails the row; conform reports whether it passed.
func (c *Chain) conform(ctx context.Context, row, in []any, num int64) (bool, error) {
	for _, j := range c.learned {
		col := c.out[j]
		if connector.CheckValue(row[j], col.Type) {
			continue
		}
		v, err := connector.Convert(row[j], col.Type)
		if err != nil {
			err = fmt.Errorf("column %q: %w (its type, %s, is that of its first non-null value; convert the expression's result to fix it)", col.Name, err, col.Type)
			return false, c.failed(ctx, c.failure(c.origin[j], num, in, err))
		}
		row[j] = v
	}
	return true, nil
}

// failure describes a failed input row.
func (c *Chain) failure(step string, num int64, in []any, err error) *Failure {
	f := &Failure{Step: step, Row: num, Err: err}
	if c.opts.Policy == PolicyDeadLetter {
		f.Record = recordJSON(c.in, in)
	}
	return f
}

// failed applies the policy to a failed row: it returns the failure under
// PolicyFail, and nil once the row is skipped or dead-lettered.
func (c *Chain) failed(ctx context.Context, f *Failure) error {
	switch c.opts.Policy {
	case PolicySkip:
		c.stats.Skipped++
		return nil
	case PolicyDeadLetter:
		c.stats.DeadLettered++
		if err := c.opts.DeadLetter(ctx, f); err != nil {
			return fmt.Errorf("dead-letter row %d: %w", f.Row, err)
		}
		return nil
	}
	return connector.WithClass(connector.ClassData, f)
}

// rowAlloc carves rows out of shared allocations. Rows it hands out are
// never reused, so they may travel in emitted batches.
type rowAlloc struct {
	cells []any
}

func (a *rowAlloc) next(n int) []any {
	if len(a.cells) < n {
		a.cells = make([]any, max(256*n, 1024))
	}
	r := a.cells[:n:n]
	a.cells = a.cells[n:]
	return r
}
