package chaos

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// reshaper applies the data faults of one read (schema changes, drift,
// volume changes and late data) to each of its batches. A read's batches
// are reshaped alike, so that they keep one schema.
type reshaper struct {
	fx    Effects
	steps []*step
}

// step is one data fault being applied, with what it has done so far.
type step struct {
	f   Fault
	acc float64 // Volume and late data: the share owed to the next row.
	// rowsIn and rowsOut count rows before and after the step; changed
	// counts the rows or values it changed.
	rowsIn, rowsOut, changed int64
	columns                  []string        // The columns drift scaled.
	plan                     *schemaPlan     // A schema change's plan for the current schema.
	scale                    float64         // Drift's factor.
	times                    map[string]bool // Late data: the time columns shifted.
}

// rank orders the steps: rows are dropped or repeated first, then made
// late, then their values drift, and the columns change last, so that the
// other steps see the source's own columns.
func rank(k Kind) int {
	return slices.Index([]Kind{VolumeDrop, VolumeSpike, LateData, Drift, SchemaChange}, k)
}

// add takes on a data fault.
func (r *reshaper) add(f Fault) {
	st := &step{f: f}
	if f.Kind == Drift {
		st.scale = 1 + f.Intensity*r.fx.DriftScale
	}
	r.steps = append(r.steps, st)
	slices.SortStableFunc(r.steps, func(a, b *step) int { return cmp.Compare(rank(a.f.Kind), rank(b.f.Kind)) })
}

// apply reshapes b, which the reshaper now owns.
func (r *reshaper) apply(b connector.Batch) connector.Batch {
	for _, st := range r.steps {
		st.rowsIn += int64(len(b.Rows))
		switch st.f.Kind {
		case VolumeDrop:
			b.Rows = st.volume(b.Rows, 1-st.f.Intensity)
		case VolumeSpike:
			b.Rows = st.volume(b.Rows, 1+st.f.Intensity*r.fx.MaxSpike)
		case LateData:
			st.late(b, r.fx.LateBy)
		case Drift:
			st.drift(b)
		case SchemaChange:
			b = st.schema(b)
		}
		st.rowsOut += int64(len(b.Rows))
	}
	return b
}

// volume returns rows with each row kept factor times on average: fewer
// than once to drop rows, more to repeat them. Repeats are copies.
func (st *step) volume(rows [][]any, factor float64) [][]any {
	out := make([][]any, 0, int(float64(len(rows))*factor)+1)
	for _, row := range rows {
		st.acc += factor
		for k := 0; st.acc >= 1; k++ {
			st.acc--
			if k == 0 {
				out = append(out, row)
			} else {
				out = append(out, slices.Clone(row))
			}
		}
	}
	return out
}

// late moves the share Intensity of b's rows back in time by lateBy: every
// time value of such a row.
func (st *step) late(b connector.Batch, lateBy time.Duration) {
	var cols []int
	for i, c := range b.Schema {
		if c.Type == connector.TypeTime {
			cols = append(cols, i)
			if st.times == nil {
				st.times = make(map[string]bool)
			}
			st.times[c.Name] = true
		}
	}
	if len(cols) == 0 {
		return
	}
	for _, row := range b.Rows {
		st.acc += st.f.Intensity
		if st.acc < 1 {
			continue
		}
		st.acc--
		st.changed++
		for _, i := range cols {
			if t, ok := row[i].(time.Time); ok {
				row[i] = t.Add(-lateBy)
			}
		}
	}
}

// drift scales the values of the fault's column, or of every numeric
// column that is not an identifier.
func (st *step) drift(b connector.Batch) {
	var cols []int
	for i, c := range b.Schema {
		numeric := c.Type == connector.TypeInt || c.Type == connector.TypeFloat
		switch {
		case !numeric:
		case st.f.Column != "" && c.Name == st.f.Column:
			cols = append(cols, i)
		case st.f.Column == "" && c.Name != "id" && !strings.HasSuffix(c.Name, "_id"):
			cols = append(cols, i)
		}
	}
	for _, i := range cols {
		if name := b.Schema[i].Name; !slices.Contains(st.columns, name) {
			st.columns = append(st.columns, name)
		}
	}
	for _, row := range b.Rows {
		for _, i := range cols {
			switch v := row[i].(type) {
			case int64:
				row[i] = int64(math.Round(float64(v) * st.scale))
				st.changed++
			case float64:
				row[i] = v * st.scale
				st.changed++
			}
		}
	}
}

// schema changes b's columns as the fault says.
func (st *step) schema(b connector.Batch) connector.Batch {
	if b.Schema == nil {
		return b
	}
	if st.plan == nil || !st.plan.in.Equal(b.Schema) {
		st.plan = planSchema(st.f, b.Schema)
	}
	p := st.plan
	b.Schema = p.out
	if p.col < 0 && st.f.Change != ColumnAdded {
		return b // The column is not there: nothing changes.
	}
	switch st.f.Change {
	case ColumnAdded:
		for i, row := range b.Rows {
			b.Rows[i] = append(slices.Clip(row), "added")
		}
	case ColumnRemoved:
		for i, row := range b.Rows {
			b.Rows[i] = slices.Delete(slices.Clone(row), p.col, p.col+1)
		}
	case ColumnTypeChanged:
		for _, row := range b.Rows {
			row[p.col] = convert(row[p.col], p.out[p.col].Type)
		}
	}
	st.changed += int64(len(b.Rows))
	return b
}

// schemaPlan is how a schema change turns one schema into another.
type schemaPlan struct {
	in, out connector.Schema
	col     int    // The changed column of in; -1 when none.
	detail  string // What changed, for the record.
}

// planSchema plans the fault's change of schema s.
func planSchema(f Fault, s connector.Schema) *schemaPlan {
	p := &schemaPlan{in: s, out: slices.Clone(s), col: len(s) - 1}
	if f.Column != "" && f.Change != ColumnAdded {
		p.col = s.Index(f.Column)
	}
	if p.col < 0 && f.Change != ColumnAdded {
		p.detail = fmt.Sprintf("no column %s: schema unchanged", f.Column)
		return p
	}
	switch f.Change {
	case ColumnAdded:
		name := unique(s, cmp.Or(f.Column, "chaos_added"))
		p.out = append(p.out, connector.Column{Name: name, Type: connector.TypeString})
		p.col = -1
		p.detail = "added column " + name
	case ColumnRemoved:
		p.out = slices.Delete(p.out, p.col, p.col+1)
		p.detail = "removed column " + s[p.col].Name
	case ColumnRenamed:
		p.out[p.col].Name = unique(s, s[p.col].Name+"_renamed")
		p.detail = fmt.Sprintf("renamed column %s to %s", s[p.col].Name, p.out[p.col].Name)
	case ColumnTypeChanged:
		p.out[p.col].Type = connector.TypeString
		if s[p.col].Type == connector.TypeString {
			p.out[p.col].Type = connector.TypeInt
		}
		p.detail = fmt.Sprintf("changed column %s from %s to %s", s[p.col].Name, s[p.col].Type, p.out[p.col].Type)
	}
	return p
}

// unique returns name, or name followed by underscores, whichever s does
// not have yet.
func unique(s connector.Schema, name string) string {
	for s.Index(name) >= 0 {
		name += "_"
	}
	return name
}

// convert returns v as a value of type t: a string's integer value, nil if
// it has none, or any value formatted as a string.
func convert(v any, t connector.Type) any {
	if t == connector.TypeInt {
		s, _ := v.(string)
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n
		}
		return nil
	}
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// effect describes what the step did, for the ground truth.
func (st *step) effect(fx Effects) string {
	switch st.f.Kind {
	case VolumeDrop:
		return fmt.Sprintf("kept %d of %d rows", st.rowsOut, st.rowsIn)
	case VolumeSpike:
		return fmt.Sprintf("returned %d rows for %d", st.rowsOut, st.rowsIn)
	case LateData:
		if len(st.times) == 0 {
			return fmt.Sprintf("no time column: none of %d rows made late", st.rowsIn)
		}
		return fmt.Sprintf("made %d of %d rows %s late (%s)", st.changed, st.rowsIn, fx.LateBy, strings.Join(sortedKeys(st.times), ", "))
	case Drift:
		if len(st.columns) == 0 {
			return fmt.Sprintf("no numeric column to drift in %d rows", st.rowsIn)
		}
		return fmt.Sprintf("scaled %d values of %s by %.3g", st.changed, strings.Join(st.columns, ", "), st.scale)
	case SchemaChange:
		if st.plan == nil {
			return "no batch: schema unchanged"
		}
		return fmt.Sprintf("%s in %d rows", st.plan.detail, st.rowsIn)
	}
	return ""
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
