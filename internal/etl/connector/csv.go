package connector

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// csvSettings are the settings of the csv source:
//
//	path: orders.csv        # required; relative to the registry's base directory
//	delimiter: ","          # one character
//	header: true            # the first record names the columns
//	columns: [{name: id, type: int}]  # the schema; required without a header
//	batch_size: 1024
//	infer_rows: 1000        # records read to infer types when columns are not declared
//
// An empty field is null. With a header and declared columns, the declared
// columns are picked from the header by name, in the declared order.
type csvSettings struct {
	fileSourceSettings
	Delimiter string `setting:"delimiter"`
	Header    *bool  `setting:"header"`
}

// csvSinkSettings are the settings of the csv sink: path, mode (append or
// replace) and delimiter.
type csvSinkSettings struct {
	fileSinkSettings
	Delimiter string `setting:"delimiter"`
}

// parseDelimiter returns the delimiter character, a comma when s is empty.
func parseDelimiter(s string) (rune, error) {
	if s == "" {
		return ',', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, &settingError{path: "delimiter", err: fmt.Errorf("want one character other than a quote or line break, got %q", s)}
	}
	return r, nil
}

type csvSource struct {
	path      string
	comma     rune
	header    bool
	declared  Schema
	batchSize int
	inferRows int
}

func newCSVSource(env *Env, settings map[string]any) (Source, error) {
	var s csvSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	if err := s.validate(env); err != nil {
		return nil, err
	}
	comma, err := parseDelimiter(s.Delimiter)
	if err != nil {
		return nil, err
	}
	src := &csvSource{path: s.Path, comma: comma, header: s.Header == nil || *s.Header,
		declared: Schema(s.Columns), batchSize: s.BatchSize, inferRows: s.InferRows}
	if !src.header && len(src.declared) == 0 {
		return nil, &settingError{path: "columns", err: errors.New("are required when header is false")}
	}
	return src, nil
}

// Read reads the file, failing at the first bad row.
func (s *csvSource) Read(ctx context.Context, emit func(Batch) error) error {
	return s.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun reads the file, handing bad rows to opts.OnRowError.
func (s *csvSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("open csv file: %w", err)
	}
	defer f.Close()
	return s.readFrom(ctx, f, opts, emit)
}

// readFrom reads CSV text from r.
func (s *csvSource) readFrom(ctx context.Context, r io.Reader, opts ReadOptions, emit func(Batch) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = s.comma
	cr.FieldsPerRecord = -1 // Counts are checked per row, so one bad row does not end the read.
	cr.ReuseRecord = true
	c := &csvReader{src: s, r: cr, opts: opts}
	return c.run(ctx, emit)
}

// csvReader is the state of one read.
type csvReader struct {
	src    *csvSource
	r      *csv.Reader
	opts   ReadOptions
	schema Schema
	index  []int // The field of each column.
	fields int   // The number of fields every record must have.
	record int64 // Data records read so far, bad ones included.
}

// csvRecord is a record kept while inferring types.
type csvRecord struct {
	fields []string
	line   int64
	record int64
}

func (c *csvReader) run(ctx context.Context, emit func(Batch) error) error {
	var header []string
	if c.src.header {
		rec, err := c.r.Read()
		switch {
		case errors.Is(err, io.EOF):
			if len(c.src.declared) == 0 {
				return nil // No header and no declared columns: no schema, no rows.
			}
			return newBatcher(c.src.declared, 1, emit).finish()
		case err != nil:
			return Errorf(ClassData, "%s: read header: %w", c.src.path, err)
		}
		header = slices.Clone(rec)
		if err := (Schema(columnsOf(header))).Validate(); err != nil {
			return Errorf(ClassSchema, "%s: header: %w", c.src.path, err)
		}
	}
	var sample []csvRecord
	if err := c.plan(header, &sample); err != nil {
		return err
	}
	b := newBatcher(c.schema, c.src.batchSize, emit)
	for _, rec := range sample {
		if err := c.add(b, rec); err != nil {
			return err
		}
	}
	for n := 0; ; n++ {
		if n%c.src.batchSize == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if rec.fields == nil {
			continue // A bad row, already handled.
		}
		if err := c.add(b, rec); err != nil {
			return err
		}
	}
	return b.finish()
}

// columnsOf returns string columns named after a header, for validating it.
func columnsOf(names []string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: TypeString}
	}
	return cols
}

// plan sets the schema and field mapping, reading and keeping the records
// that type inference needs.
func (c *csvReader) plan(header []string, sample *[]csvRecord) error {
	if len(c.src.declared) > 0 {
		c.schema = c.src.declared
		c.index = make([]int, len(c.schema))
		c.fields = len(c.schema)
		if header != nil {
			c.fields = len(header)
			for i, col := range c.schema {
				c.index[i] = slices.Index(header, col.Name)
				if c.index[i] < 0 {
					return Errorf(ClassSchema, "%s: declared column %q is not in the header (%s)", c.src.path, col.Name, strings.Join(header, ", "))
				}
			}
		} else {
			for i := range c.index {
				c.index[i] = i
			}
		}
		return nil
	}
	c.fields = len(header)
	in := newInference(len(header))
	for len(*sample) < c.src.inferRows {
		rec, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if rec.fields == nil {
			continue
		}
		rec.fields = slices.Clone(rec.fields)
		for i, f := range rec.fields {
			if f != "" {
				in.addText(i, f)
			}
		}
		*sample = append(*sample, rec)
	}
	c.schema = make(Schema, len(header))
	c.index = make([]int, len(header))
	for i, t := range in.types() {
		c.schema[i] = Column{Name: header[i], Type: t}
		c.index[i] = i
	}
	return nil
}

// next reads the next record. A bad record is handed to the row error
// handler and returned with nil fields.
func (c *csvReader) next() (csvRecord, error) {
	fields, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return csvRecord{}, io.EOF
	}
	c.record++
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		rowErr := &RowError{Source: c.src.path, Line: int64(pe.Line), Record: c.record,
			Err: fmt.Errorf("%w (at byte %d)", pe.Err, pe.Column)}
		return csvRecord{}, c.opts.rowFailed(rowErr)
	}
	if err != nil {
		return csvRecord{}, fmt.Errorf("read %s: %w", c.src.path, err)
	}
	line, _ := c.r.FieldPos(0)
	rec := csvRecord{fields: fields, line: int64(line), record: c.record}
	if len(fields) != c.fields {
		rowErr := &RowError{Source: c.src.path, Line: rec.line, Record: c.record, Raw: c.raw(fields),
			Err: fmt.Errorf("record has %d fields, want %d", len(fields), c.fields)}
		return csvRecord{}, c.opts.rowFailed(rowErr)
	}
	return rec, nil
}

// add converts a record into the next row of b.
func (c *csvReader) add(b *batcher, rec csvRecord) error {
	row := b.next()
	for i, col := range c.schema {
		s := rec.fields[c.index[i]]
		switch {
		case s == "":
			row[i] = nil
		case col.Type == TypeString:
			row[i] = s
		default:
			v, err := ParseValue(s, col.Type)
			if err != nil {
				b.undo()
				return c.opts.rowFailed(&RowError{Source: c.src.path, Line: rec.line, Record: rec.record,
					Column: col.Name, Raw: c.raw(rec.fields), Err: err})
			}
			row[i] = v
		}
	}
	return b.done()
}

// raw returns a record as CSV text, for dead letters.
func (c *csvReader) raw(fields []string) string {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	w.Comma = c.src.comma
	_ = w.Write(fields) // A strings.Builder does not fail.
	w.Flush()
	return strings.TrimSuffix(sb.String(), "\n")
}

type csvSink struct {
	fileSink
	comma rune
}

func newCSVSink(env *Env, settings map[string]any) (Sink, error) {
	var s csvSinkSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	mode, err := s.validate(env)
	if err != nil {
		return nil, err
	}
	comma, err := parseDelimiter(s.Delimiter)
	if err != nil {
		return nil, err
	}
	return &csvSink{fileSink: fileSink{env: env, path: s.Path, mode: mode}, comma: comma}, nil
}

// Write writes the batches as a new version of the file, with a header. In
// append mode it keeps the existing records of other runs, and the last
// column is RunIDColumn.
func (s *csvSink) Write(ctx context.Context, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error) {
	return s.write(ctx, &csvFormat{comma: s.comma, path: s.path, mode: s.mode}, run, schema, batches)
}

// csvFormat writes csv files.
type csvFormat struct {
	comma  rune
	path   string
	mode   WriteMode
	w      *csv.Writer
	plan   loadPlan
	run    string
	fields []string
}

func (f *csvFormat) header(plan loadPlan) []string {
	names := plan.columns.Names()
	if f.mode == ModeAppend {
		names = append(names, RunIDColumn)
	}
	return names
}

func (f *csvFormat) keep(r io.Reader, w io.Writer, plan loadPlan, run string) (int64, error) {
	cr := csv.NewReader(r)
	cr.Comma = f.comma
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err != nil {
		return 0, Errorf(ClassSchema, "%s: read header: %w", f.path, err)
	}
	if want := f.header(plan); !slices.Equal(header, want) {
		return 0, Errorf(ClassSchema, "%s: existing columns (%s) differ from the load's (%s)",
			f.path, strings.Join(header, ", "), strings.Join(want, ", "))
	}
	cw := csv.NewWriter(w)
	cw.Comma = f.comma
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	var dropped int64
	last := len(header) - 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, Errorf(ClassData, "%s: existing file: %w", f.path, err)
		}
		if rec[last] == run {
			dropped++
			continue
		}
		if err := cw.Write(rec); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	return dropped, cw.Error()
}

func (f *csvFormat) count(r io.Reader) (int64, error) {
	cr := csv.NewReader(r)
	cr.Comma = f.comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var n int64
	for {
		_, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return max(n-1, 0), nil // Less the header.
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

func (f *csvFormat) begin(w io.Writer, plan loadPlan, run string, empty bool) error {
	f.w = csv.NewWriter(w)
	f.w.Comma = f.comma
	f.plan, f.run = plan, run
	f.fields = make([]string, len(f.header(plan)))
	if !empty {
		return nil
	}
	return f.w.Write(f.header(plan))
}

func (f *csvFormat) write(b Batch, record int64) error {
	for n, row := range b.Rows {
		if err := f.plan.check(f.path, row, record+int64(n)); err != nil {
			return err
		}
		for j, i := range f.plan.index {
			f.fields[j] = FormatValue(row[i])
		}
		if f.mode == ModeAppend {
			f.fields[len(f.fields)-1] = f.run
		}
		if err := f.w.Write(f.fields); err != nil {
			return err
		}
	}
	return f.w.Error()
}

func (f *csvFormat) end() error {
	f.w.Flush()
	return f.w.Error()
}
