package connector

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// sqlColumn is a result column of a query.
type sqlColumn struct {
	name  string
	typ   Type
	typed bool // The database declared the type; otherwise the values decide.
}

// sqlReader turns the rows of a query into batches. Columns whose type the
// database does not declare, such as expressions in SQLite, take the type of
// their first non-null value among the first batch's rows, or string.
type sqlReader struct {
	source    string
	schema    Schema
	typed     []bool
	batchSize int
	opts      ReadOptions
	emit      func(Batch) error

	pending [][]any // Rows read before every column's type is known.
	b       *batcher
	record  int64
}

func newSQLReader(source string, cols []sqlColumn, batchSize int, opts ReadOptions, emit func(Batch) error) (*sqlReader, error) {
	r := &sqlReader{source: source, batchSize: batchSize, opts: opts, emit: emit}
	allTyped := true
	for _, c := range cols {
		t := c.typ
		if !c.typed {
			t, allTyped = TypeString, false
		}
		r.schema = append(r.schema, Column{Name: c.name, Type: t})
		r.typed = append(r.typed, c.typed)
	}
	if err := r.schema.Validate(); err != nil {
		return nil, Errorf(ClassSchema, "result of the query on %s: %w (give each column a distinct name with AS)", source, err)
	}
	if allTyped {
		r.b = newBatcher(r.schema, batchSize, emit)
	}
	return r, nil
}

// add converts one row of values, which the caller may reuse afterwards.
func (r *sqlReader) add(vals []any) error {
	if r.b != nil {
		return r.convert(vals)
	}
	r.pending = append(r.pending, slices.Clone(vals))
	if len(r.pending) < r.batchSize {
		return nil
	}
	return r.resolve()
}

// resolve fixes the types of untyped columns from the pending rows and
// converts them.
func (r *sqlReader) resolve() error {
	for i := range r.schema {
		if r.typed[i] {
			continue
		}
		for _, row := range r.pending {
			if t, ok := TypeOf(row[i]); ok {
				r.schema[i].Type = t
				break
			}
		}
	}
	r.b = newBatcher(r.schema, r.batchSize, r.emit)
	for _, row := range r.pending {
		if err := r.convert(row); err != nil {
			return err
		}
	}
	r.pending = nil
	return nil
}

func (r *sqlReader) convert(vals []any) error {
	r.record++
	row := r.b.next()
	for i, v := range vals {
		if t, ok := v.(time.Time); ok {
			v = t.UTC()
		}
		if CheckValue(v, r.schema[i].Type) {
			row[i] = v
			continue
		}
		c, err := Convert(v, r.schema[i].Type)
		if err != nil {
			r.b.undo()
			return r.opts.rowFailed(&RowError{Source: r.source, Record: r.record, Column: r.schema[i].Name,
				Raw: rowJSON(r.schema, vals), Err: err})
		}
		row[i] = c
	}
	return r.b.done()
}

// finish emits what is left.
func (r *sqlReader) finish() error {
	if r.b == nil {
		if err := r.resolve(); err != nil {
			return err
		}
	}
	return r.b.finish()
}

// rowJSON encodes a row as a JSON object for dead letters; values of other
// Go types are written as their text.
func rowJSON(schema Schema, vals []any) string {
	b := []byte{'{'}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, schema[i].Name)
		b = append(b, ':')
		enc, err := appendJSONValue(b, v)
		if err != nil {
			enc = appendJSONString(b, fmt.Sprint(v))
		}
		b = enc
	}
	return string(append(b, '}'))
}

// sqliteMaxParams is the most parameters SQLite binds in one statement.
const sqliteMaxParams = 32766

// maxRowsPerInsert bounds the rows of one multi-row INSERT. Beyond a few
// hundred rows a bigger statement saves nothing.
const maxRowsPerInsert = 256

// sqlInserter inserts rows with multi-row INSERT statements of up to
// maxRowsPerInsert rows, tagging them with the run ID in append mode.
type sqlInserter struct {
	table   string
	exec    func(query string, args []any) error
	plan    loadPlan
	runID   string
	tagRun  bool
	head    string // INSERT INTO t (columns) VALUES
	tuple   string // (?, ?, ?)
	tail    string // The upsert clause, if any.
	perStmt int
	full    string // The statement for perStmt rows.
	args    []any
	pending int
	rows    int64
	bytes   int64
	record  int64
}

func newSQLInserter(table string, plan loadPlan, mode WriteMode, key []string, runID string, exec func(string, []any) error) *sqlInserter {
	names := plan.columns.Names()
	tagRun := mode == ModeAppend
	if tagRun {
		names = append(names, RunIDColumn)
	}
	in := &sqlInserter{
		table:  table,
		exec:   exec,
		plan:   plan,
		runID:  runID,
		tagRun: tagRun,
		head:   "INSERT INTO " + quoteIdent(table) + " (" + quoteList(names) + ") VALUES ",
		tuple:  "(" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")",
	}
	if mode == ModeUpsert {
		in.tail = upsertClause(plan.columns, key)
	}
	in.perStmt = min(maxRowsPerInsert, sqliteMaxParams/len(names))
	in.full = in.statement(in.perStmt)
	in.args = make([]any, 0, in.perStmt*len(names))
	return in
}

func (in *sqlInserter) statement(rows int) string {
	var b strings.Builder
	b.Grow(len(in.head) + rows*(len(in.tuple)+2) + len(in.tail))
	b.WriteString(in.head)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(in.tuple)
	}
	b.WriteString(in.tail)
	return b.String()
}

// add queues a row, inserting the queued rows when a statement is full.
func (in *sqlInserter) add(row []any) error {
	in.record++
	if err := in.plan.check(in.table, row, in.record); err != nil {
		return err
	}
	for _, i := range in.plan.index {
		in.args = append(in.args, row[i])
		in.bytes += valueSize(row[i])
	}
	if in.tagRun {
		in.args = append(in.args, in.runID)
	}
	in.pending++
	if in.pending < in.perStmt {
		return nil
	}
	return in.flush()
}

// flush inserts the queued rows.
func (in *sqlInserter) flush() error {
	if in.pending == 0 {
		return nil
	}
	query := in.full
	if in.pending != in.perStmt {
		query = in.statement(in.pending)
	}
	if err := in.exec(query, in.args); err != nil {
		return fmt.Errorf("insert rows %d to %d: %w", in.rows+1, in.rows+int64(in.pending), err)
	}
	in.rows += int64(in.pending)
	in.args, in.pending = in.args[:0], 0
	return nil
}
