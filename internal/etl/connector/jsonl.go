package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// jsonlSettings are the settings of the jsonl source, which reads one JSON
// object per line:
//
//	path: events.jsonl      # required; relative to the registry's base directory
//	columns: [{name: id, type: int}]  # the schema; inferred when not declared
//	batch_size: 1024
//	infer_rows: 1000        # lines read to infer the schema
//
// Declared columns are picked from each object by name, and other fields are
// ignored. An inferred schema has the fields of the first infer_rows objects
// in the order they first appear; a later object with another field is a bad
// row. Missing fields and nulls are null; nested objects and arrays are read
// as their JSON text; values are converted to the column's type as Convert
// does, so "42" fits an int column.
type jsonlSettings struct {
	fileSourceSettings
}

type jsonlSource struct {
	path      string
	declared  Schema
	batchSize int
	inferRows int
}

func newJSONLSource(env *Env, settings map[string]any) (Source, error) {
	var s jsonlSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	if err := s.validate(env); err != nil {
		return nil, err
	}
	return &jsonlSource{path: s.Path, declared: Schema(s.Columns), batchSize: s.BatchSize, inferRows: s.InferRows}, nil
}

// Read reads the file, failing at the first bad row.
func (s *jsonlSource) Read(ctx context.Context, emit func(Batch) error) error {
	return s.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun reads the file, handing bad rows to opts.OnRowError.
func (s *jsonlSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("open jsonl file: %w", err)
	}
	defer f.Close()
	return s.readFrom(ctx, f, opts, emit)
}

// readFrom reads JSON lines from r.
func (s *jsonlSource) readFrom(ctx context.Context, r io.Reader, opts ReadOptions, emit func(Batch) error) error {
	d := &objectDecoder{source: s.path, declared: s.declared, inferRows: s.inferRows, opts: opts}
	lines := newLineReader(r)
	return d.run(ctx, s.batchSize, emit, func() (objectRecord, error) {
		for {
			line, err := lines.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					err = fmt.Errorf("read %s: %w", s.path, err)
				}
				return objectRecord{}, err
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			rec := objectRecord{line: lines.line}
			rec.fields, rec.err = decodeObject(line)
			if rec.err != nil {
				rec.raw = string(line)
			}
			return rec, nil
		}
	})
}

// objectRecord is one decoded JSON object, or the error decoding it.
type objectRecord struct {
	fields []jsonField
	line   int64  // The line in a jsonl file; 0 for other sources.
	raw    string // The undecodable text, when err is set.
	err    error
}

// objectDecoder turns JSON objects into rows for the jsonl and http sources:
// it infers the schema from the first objects unless columns are declared,
// and converts values to the column types.
type objectDecoder struct {
	source    string
	declared  Schema
	inferRows int
	opts      ReadOptions

	schema Schema
	index  map[string]int
	record int64
}

// run reads every object from next, which returns io.EOF after the last, and
// emits them as batches.
func (d *objectDecoder) run(ctx context.Context, batchSize int, emit func(Batch) error, next func() (objectRecord, error)) error {
	var sample []objectRecord
	if len(d.declared) > 0 {
		d.setSchema(d.declared)
	} else {
		in := newInference(0)
		var names []Column
		seen := make(map[string]int)
		for len(sample) < d.inferRows {
			rec, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if slices.ContainsFunc(rec.fields, func(f jsonField) bool { return f.key == "" }) {
				rec = objectRecord{line: rec.line, raw: fieldsJSON(rec.fields), err: errors.New("a field has an empty name, which cannot be a column")}
			}
			sample = append(sample, rec)
			for _, f := range rec.fields {
				i, ok := seen[f.key]
				if !ok {
					i = len(names)
					seen[f.key] = i
					names = append(names, Column{Name: f.key})
					in.possible = append(in.possible, maybeAll)
					in.seen = append(in.seen, false)
				}
				in.addValue(i, f.value)
			}
		}
		if len(names) == 0 {
			return d.rejectAll(sample) // No object had a field: no schema.
		}
		for i, t := range in.types() {
			names[i].Type = t
		}
		d.setSchema(names)
	}
	b := newBatcher(d.schema, batchSize, emit)
	for _, rec := range sample {
		if err := d.add(b, rec); err != nil {
			return err
		}
	}
	for n := 0; ; n++ {
		if n%batchSize == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := d.add(b, rec); err != nil {
			return err
		}
	}
	return b.finish()
}

func (d *objectDecoder) setSchema(s Schema) {
	d.schema = s
	d.index = make(map[string]int, len(s))
	for i, c := range s {
		d.index[c.Name] = i
	}
}

// rejectAll reports the undecodable records of a sample that yielded no
// schema.
func (d *objectDecoder) rejectAll(sample []objectRecord) error {
	for _, rec := range sample {
		if rec.err != nil {
			d.record++
			if err := d.opts.rowFailed(d.rowError(rec, "", rec.err)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *objectDecoder) rowError(rec objectRecord, column string, err error) *RowError {
	raw := rec.raw
	if raw == "" && rec.fields != nil {
		raw = fieldsJSON(rec.fields)
	}
	return &RowError{Source: d.source, Line: rec.line, Record: d.record, Column: column, Raw: raw, Err: err}
}

// add converts an object into the next row of b.
func (d *objectDecoder) add(b *batcher, rec objectRecord) error {
	d.record++
	if rec.err != nil {
		return d.opts.rowFailed(d.rowError(rec, "", rec.err))
	}
	row := b.next()
	for _, f := range rec.fields {
		i, ok := d.index[f.key]
		if !ok {
			if len(d.declared) > 0 {
				continue
			}
			b.undo()
			return d.opts.rowFailed(d.rowError(rec, f.key,
				fmt.Errorf("field is not in the schema inferred from the first %d records; declare columns to read it", d.inferRows)))
		}
		v, err := Convert(f.value, d.schema[i].Type)
		if err != nil {
			b.undo()
			return d.opts.rowFailed(d.rowError(rec, f.key, err))
		}
		row[i] = v
	}
	return b.done()
}

// fieldsJSON re-encodes decoded fields as a JSON object, for dead letters.
func fieldsJSON(fields []jsonField) string {
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.key)
		b = append(b, ':')
		if f.nested {
			b = append(b, f.value.(string)...)
			continue
		}
		b, _ = appendJSONValue(b, f.value) // Decoded values are always encodable.
	}
	return string(append(b, '}'))
}

type jsonlSink struct {
	fileSink
}

func newJSONLSink(env *Env, settings map[string]any) (Sink, error) {
	var s fileSinkSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	mode, err := s.validate(env)
	if err != nil {
		return nil, err
	}
	return &jsonlSink{fileSink{env: env, path: s.Path, mode: mode}}, nil
}

// Write writes the batches as a new version of the file, one object per
// row. In append mode it keeps the existing lines of other runs, and each
// object ends with RunIDColumn.
func (s *jsonlSink) Write(ctx context.Context, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error) {
	return s.write(ctx, &jsonlFormat{path: s.path, mode: s.mode}, run, schema, batches)
}

// jsonlFormat writes jsonl files.
type jsonlFormat struct {
	path string
	mode WriteMode
	w    io.Writer
	plan loadPlan
	keys [][]byte // The quoted key and colon of each loaded column.
	tail []byte   // The run ID member and closing brace.
	buf  []byte
}

func (f *jsonlFormat) keep(r io.Reader, w io.Writer, plan loadPlan, run string) (int64, error) {
	lines := newLineReader(r)
	var dropped int64
	checked := false
	for {
		line, err := lines.next()
		if errors.Is(err, io.EOF) {
			return dropped, nil
		}
		if err != nil {
			return 0, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var tag struct {
			RunID *string `json:"_vigil_run_id"`
		}
		// Lines that are not objects, or not ours, are kept as they are.
		if json.Unmarshal(line, &tag) == nil && tag.RunID != nil {
			if !checked {
				if err := f.checkColumns(line, plan); err != nil {
					return 0, err
				}
				checked = true
			}
			if *tag.RunID == run {
				dropped++
				continue
			}
		}
		if _, err := w.Write(line); err != nil {
			return 0, err
		}
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return 0, err
		}
	}
}

// checkColumns compares the fields of a line an earlier append wrote with
// the columns of this load.
func (f *jsonlFormat) checkColumns(line []byte, plan loadPlan) error {
	fields, err := decodeObject(line)
	if err != nil {
		return nil //nolint:nilerr // Not a line we can compare; keep it as it is.
	}
	var have []string
	for _, fd := range fields {
		if fd.key != RunIDColumn {
			have = append(have, fd.key)
		}
	}
	want := plan.columns.Names()
	if !slices.Equal(have, want) {
		return Errorf(ClassSchema, "%s: existing rows have fields (%s), which differ from the load's columns (%s)",
			f.path, strings.Join(have, ", "), strings.Join(want, ", "))
	}
	return nil
}

func (f *jsonlFormat) count(r io.Reader) (int64, error) {
	lines := newLineReader(r)
	var n int64
	for {
		line, err := lines.next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
}

func (f *jsonlFormat) begin(w io.Writer, plan loadPlan, run string, _ bool) error {
	f.w, f.plan = w, plan
	for i, c := range plan.columns {
		var k []byte
		if i > 0 {
			k = append(k, ',')
		}
		k = appendJSONString(k, c.Name)
		f.keys = append(f.keys, append(k, ':'))
	}
	if f.mode == ModeAppend {
		f.tail = appendJSONString(append(f.tail, ','), RunIDColumn)
		f.tail = appendJSONString(append(f.tail, ':'), run)
	}
	f.tail = append(f.tail, '}', '\n')
	return nil
}

func (f *jsonlFormat) write(b Batch, record int64) error {
	buf := f.buf[:0]
	for n, row := range b.Rows {
		if err := f.plan.check(f.path, row, record+int64(n)); err != nil {
			return err
		}
		buf = append(buf, '{')
		for j, i := range f.plan.index {
			buf = append(buf, f.keys[j]...)
			var err error
			if buf, err = appendJSONValue(buf, row[i]); err != nil {
				return &RowError{Source: f.path, Record: record + int64(n), Column: f.plan.columns[j].Name, Err: err}
			}
		}
		buf = append(buf, f.tail...)
	}
	f.buf = buf
	_, err := f.w.Write(buf)
	return err
}

func (f *jsonlFormat) end() error { return nil }
