package connector

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// sqlSinkSettings are the settings SQL sinks share:
//
//	table: stg_orders      # required; schema-qualified as analytics.stg_orders
//	mode: upsert           # append (default), replace or upsert
//	key: [id]              # the conflict key of upsert
//
// A missing table is created from the load's schema, with the key as its
// primary key. An existing table must have every loaded column.
type sqlSinkSettings struct {
	Table string   `setting:"table"`
	Mode  string   `setting:"mode"`
	Key   []string `setting:"key"`
}

func (s sqlSinkSettings) validate() (WriteMode, error) {
	if err := validateTable(s.Table); err != nil {
		return "", &settingError{path: "table", err: err}
	}
	mode, err := parseMode(s.Mode, ModeAppend, ModeReplace, ModeUpsert)
	if err != nil {
		return "", err
	}
	switch {
	case mode == ModeUpsert && len(s.Key) == 0:
		return "", &settingError{path: "key", err: errors.New("is required with mode upsert")}
	case mode != ModeUpsert && len(s.Key) > 0:
		return "", &settingError{path: "key", err: errors.New("applies to mode upsert only")}
	}
	for i, k := range s.Key {
		if k == "" || slices.Index(s.Key, k) != i {
			return "", &settingError{path: "key", err: fmt.Errorf("key columns must be named and distinct, got %q", s.Key)}
		}
	}
	return mode, nil
}

// sqlSourceSettings are the settings SQL sources share: exactly one of a
// query or a table to read whole.
type sqlSourceSettings struct {
	Query     string `setting:"query"`
	Table     string `setting:"table"`
	BatchSize int    `setting:"batch_size"`
}

// statement returns the query to run, and fills in the default batch size.
func (s *sqlSourceSettings) statement() (string, error) {
	switch {
	case s.Query != "" && s.Table != "":
		return "", &settingError{path: "query", err: errors.New("set either query or table, not both")}
	case s.Query == "" && s.Table == "":
		return "", &settingError{path: "query", err: errors.New("one of query or table is required")}
	case s.BatchSize < 0:
		return "", &settingError{path: "batch_size", err: errors.New("must not be negative")}
	}
	if s.BatchSize == 0 {
		s.BatchSize = defaultBatchSize
	}
	if s.Query != "" {
		return s.Query, nil
	}
	if err := validateTable(s.Table); err != nil {
		return "", &settingError{path: "table", err: err}
	}
	return "SELECT * FROM " + quoteIdent(s.Table), nil
}

// validateTable checks a table name, optionally qualified by a schema.
func validateTable(name string) error {
	if name == "" {
		return errors.New("is required")
	}
	for part := range strings.SplitSeq(name, ".") {
		if part == "" || strings.ContainsRune(part, 0) {
			return fmt.Errorf("invalid table name %q", name)
		}
	}
	return nil
}

// quoteIdent quotes a name for SQL, each dot-separated part on its own, so
// that any name, keyword or not, is safe.
func quoteIdent(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// tableName returns the last part of a qualified name.
func tableName(name string) string {
	return name[strings.LastIndexByte(name, '.')+1:]
}

// runIndexName returns the name of the index on RunIDColumn of table, short
// enough for PostgreSQL's 63-byte names and unique per table.
func runIndexName(table string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(table))
	base := tableName(table)
	if len(base) > 40 {
		base = base[:40]
	}
	return base + "_vigil_run_" + strconv.FormatUint(uint64(h.Sum32()), 36)
}

// createTableSQL returns the CREATE TABLE statement for a load's target.
func createTableSQL(table string, plan loadPlan, mode WriteMode, key []string, typeName func(Type) string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(quoteIdent(table))
	b.WriteString(" (")
	for i, c := range plan.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
		b.WriteByte(' ')
		b.WriteString(typeName(c.Type))
	}
	if mode == ModeAppend {
		b.WriteString(", " + quoteIdent(RunIDColumn) + " " + typeName(TypeString))
	}
	if len(key) > 0 {
		b.WriteString(", PRIMARY KEY (")
		b.WriteString(quoteList(key))
		b.WriteString(")")
	}
	b.WriteString(")")
	return b.String()
}

// quoteList quotes names and joins them with commas.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// upsertClause returns the ON CONFLICT clause that updates every non-key
// column from the row that conflicted.
func upsertClause(columns Schema, key []string) string {
	var set []string
	for _, c := range columns {
		if !slices.Contains(key, c.Name) {
			q := quoteIdent(c.Name)
			set = append(set, q+" = excluded."+q)
		}
	}
	if len(set) == 0 {
		return " ON CONFLICT (" + quoteList(key) + ") DO NOTHING"
	}
	return " ON CONFLICT (" + quoteList(key) + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// checkTarget compares an existing table's columns with a load's: every
// loaded column must exist. It reports whether the table lacks RunIDColumn.
func checkTarget(table string, existing []string, plan loadPlan) (missingRunID bool, err error) {
	var missing []string
	for _, c := range plan.columns {
		if !slices.Contains(existing, c.Name) {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return false, Errorf(ClassSchema, "table %s has no column %s (it has %s)",
			table, strings.Join(missing, ", "), strings.Join(existing, ", "))
	}
	return !slices.Contains(existing, RunIDColumn), nil
}

// checkKey verifies that the key columns are among the loaded columns.
func checkKey(plan loadPlan, key []string) error {
	for _, k := range key {
		if plan.columns.Index(k) < 0 {
			return Errorf(ClassSchema, "key column %q is not among the loaded columns (%s)", k, plan.columns)
		}
	}
	return nil
}
