package connector

import (
	"context"
	"fmt"
	"strings"
)

// RunIDColumn is the column append loads tag each row with, holding the run
// ID, so that a retried attempt can delete the rows of its earlier attempts.
const RunIDColumn = "_vigil_run_id"

// WriteMode is how a sink loads rows into an existing target.
type WriteMode string

// The write modes.
const (
	// ModeAppend adds rows, tagged with the run ID in RunIDColumn; the run's
	// rows from earlier attempts are deleted first.
	ModeAppend WriteMode = "append"
	// ModeReplace replaces the target's rows with the loaded ones.
	ModeReplace WriteMode = "replace"
	// ModeUpsert inserts rows, or updates the row with the same key.
	ModeUpsert WriteMode = "upsert"
)

// parseMode checks a mode setting against the modes a sink supports. Empty
// means append.
func parseMode(s string, allowed ...WriteMode) (WriteMode, error) {
	if s == "" {
		return ModeAppend, nil
	}
	names := make([]string, len(allowed))
	for i, m := range allowed {
		if string(m) == s {
			return m, nil
		}
		names[i] = string(m)
	}
	return "", &settingError{path: "mode", err: fmt.Errorf("unknown mode %q (want %s)", s, strings.Join(names, ", "))}
}

// loadPlan is what a sink writes: the columns of the write schema without
// RunIDColumn, which a sink in append mode fills itself, whatever an upstream
// load left there.
type loadPlan struct {
	schema  Schema // The write schema.
	columns Schema // The columns loaded from each row.
	index   []int  // The position in a row of each of columns.
}

func newLoadPlan(schema Schema, mode WriteMode, run RunInfo) (loadPlan, error) {
	if err := schema.Validate(); err != nil {
		return loadPlan{}, Errorf(ClassSchema, "invalid schema: %w", err)
	}
	if mode == ModeAppend && run.RunID == "" {
		return loadPlan{}, Errorf(ClassConfig, "append needs a run ID to make the load idempotent")
	}
	p := loadPlan{schema: schema}
	for i, c := range schema {
		if c.Name == RunIDColumn {
			continue
		}
		p.columns = append(p.columns, c)
		p.index = append(p.index, i)
	}
	if len(p.columns) == 0 {
		return loadPlan{}, Errorf(ClassSchema, "schema has no columns besides %s", RunIDColumn)
	}
	return p, nil
}

// receive calls load for each batch until batches is closed. It returns
// ctx's error if ctx ends first, even if the channel was also closed, so a
// caller commits only a complete load.
func (p loadPlan) receive(ctx context.Context, batches <-chan Batch, load func(Batch) error) error {
	for {
		b, ok, err := p.next(ctx, batches)
		if err != nil || !ok {
			return err
		}
		if err := load(b); err != nil {
			return err
		}
	}
}

// next returns the next batch, or false when batches is closed. It fails if
// ctx ends first, even if the channel was also closed, or if the batch has
// other columns than the load.
func (p loadPlan) next(ctx context.Context, batches <-chan Batch) (Batch, bool, error) {
	select {
	case <-ctx.Done():
		return Batch{}, false, ctx.Err()
	case b, ok := <-batches:
		if !ok {
			return Batch{}, false, ctx.Err()
		}
		if b.Schema != nil && !b.Schema.Equal(p.schema) {
			return Batch{}, false, Errorf(ClassSchema, "batch columns (%s) differ from the load's (%s)", b.Schema, p.schema)
		}
		return b, true, nil
	}
}

// check verifies that row has a value of the right type for every column.
// record is the row's 1-based position in the load, for the error.
func (p loadPlan) check(target string, row []any, record int64) error {
	if len(row) != len(p.schema) {
		return &RowError{Source: target, Record: record, Err: fmt.Errorf("row has %d values, want %d", len(row), len(p.schema))}
	}
	for _, i := range p.index {
		if !CheckValue(row[i], p.schema[i].Type) {
			return &RowError{Source: target, Record: record, Column: p.schema[i].Name,
				Err: fmt.Errorf("got %s, want %s", describe(row[i]), p.schema[i].Type)}
		}
	}
	return nil
}
