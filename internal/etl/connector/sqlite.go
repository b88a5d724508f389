package connector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// defaultBusyTimeout is how long a SQLite connection waits for another
// writer's lock before failing with ClassLocked.
const defaultBusyTimeout = 10 * time.Second

// sqliteSourceSettings are the settings of the sqlite source:
//
//	path: warehouse.db     # required; must exist
//	query: SELECT ...      # or table: raw_orders
//	busy_timeout: 10s
//	batch_size: 1024
//
// The query runs on a read-only connection. Column types come from the
// declared types of table columns, and for expressions from their first
// non-null value.
type sqliteSourceSettings struct {
	Path string `setting:"path"`
	sqlSourceSettings
	BusyTimeout Duration `setting:"busy_timeout"`
}

// sqliteSinkSettings are the settings of the sqlite sink: path (created if
// missing), busy_timeout, and table, mode and key (see sqlSinkSettings).
type sqliteSinkSettings struct {
	Path string `setting:"path"`
	sqlSinkSettings
	BusyTimeout Duration `setting:"busy_timeout"`
}

// sqliteExecSettings are the settings of sqlite statements: path and
// busy_timeout.
type sqliteExecSettings struct {
	Path        string   `setting:"path"`
	BusyTimeout Duration `setting:"busy_timeout"`
}

// sqliteDB is how a connector reaches one database file.
type sqliteDB struct {
	path string
	busy time.Duration
}

func newSQLiteDB(env *Env, path string, busy Duration) (sqliteDB, error) {
	if path == "" {
		return sqliteDB{}, &settingError{path: "path", err: errors.New("is required")}
	}
	if busy < 0 {
		return sqliteDB{}, &settingError{path: "busy_timeout", err: errors.New("must not be negative")}
	}
	if busy == 0 {
		busy = Duration(defaultBusyTimeout)
	}
	return sqliteDB{path: env.Path(path), busy: time.Duration(busy)}, nil
}

// open opens the database with one connection. A writer gets WAL mode,
// durable commits, foreign keys and transactions that take the write lock
// when they begin; a reader gets a connection that cannot write.
func (d sqliteDB) open(write bool) (*sql.DB, error) {
	abs, err := filepath.Abs(d.path)
	if err != nil {
		return nil, fmt.Errorf("resolve sqlite path %q: %w", d.path, err)
	}
	if write {
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return nil, fmt.Errorf("create directory of sqlite database %s: %w", abs, err)
		}
	} else if _, err := os.Stat(abs); err != nil {
		return nil, Errorf(ClassConfig, "open sqlite database: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", d.busy.Milliseconds()))
	if write {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_time_format", "sqlite") // Times as "2006-01-02 15:04:05.999999999-07:00", which SQLite's date functions read.
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// classifySQLite gives an error from SQLite its class.
func classifySQLite(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return orClass(ClassInternal, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return WithClass(ClassLocked, err)
	case sqlite3.SQLITE_FULL:
		return WithClass(ClassSinkFull, err)
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG:
		return WithClass(ClassData, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return WithClass(ClassConfig, err)
	case sqlite3.SQLITE_INTERRUPT:
		return WithClass(ClassTimeout, err)
	case sqlite3.SQLITE_ERROR:
		msg := se.Error()
		for _, s := range []string{"no such table", "no such column", "has no column", "ON CONFLICT clause does not match"} {
			if strings.Contains(msg, s) {
				return WithClass(ClassSchema, err)
			}
		}
		return WithClass(ClassConfig, err) // Mostly a bad query or statement.
	}
	return WithClass(ClassInternal, err)
}

// sqliteType maps a declared SQLite column type to a column type, following
// SQLite's affinity rules with bools and times added.
func sqliteType(decl string) (Type, bool) {
	d := strings.ToUpper(decl)
	switch {
	case d == "":
		return "", false
	case strings.Contains(d, "BOOL"):
		return TypeBool, true
	case d == "DATE" || strings.HasPrefix(d, "DATETIME") || strings.HasPrefix(d, "TIMESTAMP"):
		return TypeTime, true
	case strings.Contains(d, "INT"):
		return TypeInt, true
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"), d == "BLOB":
		return TypeString, true
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"),
		strings.Contains(d, "NUMERIC"), strings.Contains(d, "DECIMAL"):
		return TypeFloat, true
	}
	return "", false
}

// sqliteTypeName is the declared type of a column the sink creates.
func sqliteTypeName(t Type) string {
	switch t {
	case TypeInt:
		return "INTEGER"
	case TypeFloat:
		return "REAL"
	case TypeBool:
		return "BOOLEAN"
	case TypeTime:
		return "TIMESTAMP"
	default:
		return "TEXT"
	}
}

type sqliteSource struct {
	db        sqliteDB
	query     string
	batchSize int
}

func newSQLiteSource(env *Env, settings map[string]any) (Source, error) {
	var s sqliteSourceSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newSQLiteDB(env, s.Path, s.BusyTimeout)
	if err != nil {
		return nil, err
	}
	query, err := s.statement()
	if err != nil {
		return nil, err
	}
	return &sqliteSource{db: db, query: query, batchSize: s.BatchSize}, nil
}

// Read runs the query, failing at the first value that does not fit its
// column's type.
func (s *sqliteSource) Read(ctx context.Context, emit func(Batch) error) error {
	return s.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun runs the query, handing bad rows to opts.OnRowError.
func (s *sqliteSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	db, err := s.db.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, s.query)
	if err != nil {
		return classifySQLite(fmt.Errorf("query %s: %w", s.db.path, err))
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return classifySQLite(fmt.Errorf("query %s: %w", s.db.path, err))
	}
	cols := make([]sqlColumn, len(cts))
	for i, ct := range cts {
		cols[i].name = ct.Name()
		cols[i].typ, cols[i].typed = sqliteType(ct.DatabaseTypeName())
	}
	r, err := newSQLReader(s.db.path, cols, s.batchSize, opts, emit)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 0; rows.Next(); n++ {
		if n%s.batchSize == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return classifySQLite(fmt.Errorf("read %s: %w", s.db.path, err))
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := r.add(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return classifySQLite(fmt.Errorf("read %s: %w", s.db.path, err))
	}
	return r.finish()
}

type sqliteSink struct {
	db    sqliteDB
	table string
	mode  WriteMode
	key   []string
}

func newSQLiteSink(env *Env, settings map[string]any) (Sink, error) {
	var s sqliteSinkSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newSQLiteDB(env, s.Path, s.BusyTimeout)
	if err != nil {
		return nil, err
	}
	mode, err := s.validate()
	if err != nil {
		return nil, err
	}
	return &sqliteSink{db: db, table: s.Table, mode: mode, key: s.Key}, nil
}

// Write loads the batches in one transaction, creating the table if needed.
func (s *sqliteSink) Write(ctx context.Context, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error) {
	plan, err := newLoadPlan(schema, s.mode, run)
	if err != nil {
		return WriteStats{}, err
	}
	if err := checkKey(plan, s.key); err != nil {
		return WriteStats{}, err
	}
	db, err := s.db.open(true)
	if err != nil {
		return WriteStats{}, orClass(ClassInternal, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return WriteStats{}, classifySQLite(fmt.Errorf("begin load into %s: %w", s.table, err))
	}
	defer tx.Rollback() //nolint:errcheck // A no-op after Commit.
	stats, err := s.load(ctx, tx, plan, run, batches)
	if err != nil {
		return WriteStats{}, classifySQLite(fmt.Errorf("load into %s in %s: %w", s.table, s.db.path, err))
	}
	if err := tx.Commit(); err != nil {
		return WriteStats{}, classifySQLite(fmt.Errorf("commit load into %s in %s: %w", s.table, s.db.path, err))
	}
	return stats, nil
}

func (s *sqliteSink) load(ctx context.Context, tx *sql.Tx, plan loadPlan, run RunInfo, batches <-chan Batch) (WriteStats, error) {
	var stats WriteStats
	if err := s.prepareTable(ctx, tx, plan, run.RunID, &stats); err != nil {
		return stats, err
	}
	ins := newSQLInserter(s.table, plan, s.mode, s.key, run.RunID,
		func(query string, args []any) error {
			_, err := tx.ExecContext(ctx, query, args...)
			return err
		})
	err := plan.receive(ctx, batches, func(b Batch) error {
		for _, row := range b.Rows {
			if err := ins.add(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = ins.flush()
	}
	stats.RowsWritten, stats.Bytes = ins.rows, ins.bytes
	return stats, err
}

// prepareTable creates the table or checks it, and deletes the rows the
// load replaces.
func (s *sqliteSink) prepareTable(ctx context.Context, tx *sql.Tx, plan loadPlan, runID string, stats *WriteStats) error {
	existing, err := sqliteColumns(ctx, tx, s.table)
	if err != nil {
		return err
	}
	if len(existing) == 0 {
		if _, err := tx.ExecContext(ctx, createTableSQL(s.table, plan, s.mode, s.key, sqliteTypeName)); err != nil {
			return fmt.Errorf("create table: %w", err)
		}
		stats.Created = true
	} else {
		missingRunID, err := checkTarget(s.table, existing, plan)
		if err != nil {
			return err
		}
		if s.mode == ModeAppend && missingRunID {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quoteIdent(s.table)+" ADD COLUMN "+quoteIdent(RunIDColumn)+" TEXT"); err != nil {
				return fmt.Errorf("add column %s: %w", RunIDColumn, err)
			}
		}
	}
	var res sql.Result
	switch s.mode {
	case ModeAppend:
		index := runIndexName(s.table)
		if i := strings.LastIndexByte(s.table, '.'); i >= 0 {
			index = s.table[:i] + "." + index // SQLite qualifies the index, not the table.
		}
		stmt := "CREATE INDEX IF NOT EXISTS " + quoteIdent(index) + " ON " + quoteIdent(tableName(s.table)) + " (" + quoteIdent(RunIDColumn) + ")"
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create index on %s: %w", RunIDColumn, err)
		}
		res, err = tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(s.table)+" WHERE "+quoteIdent(RunIDColumn)+" = ?", runID)
	case ModeReplace:
		res, err = tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(s.table))
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete replaced rows: %w", err)
	}
	stats.RowsDeleted, _ = res.RowsAffected()
	return nil
}

// sqliteColumns returns the column names of table, none if it does not exist.
func sqliteColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	query, args := "SELECT name FROM pragma_table_info(?)", []any{table}
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		query, args = "SELECT name FROM pragma_table_info(?, ?)", []any{table[i+1:], table[:i]}
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read columns: %w", err)
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

type sqliteExecer struct {
	db sqliteDB
}

func newSQLiteExecer(env *Env, settings map[string]any) (Execer, error) {
	var s sqliteExecSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newSQLiteDB(env, s.Path, s.BusyTimeout)
	if err != nil {
		return nil, err
	}
	return &sqliteExecer{db: db}, nil
}

// Exec runs statement in one transaction.
func (e *sqliteExecer) Exec(ctx context.Context, statement string) (int64, error) {
	db, err := e.db.open(true)
	if err != nil {
		return 0, orClass(ClassInternal, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, classifySQLite(fmt.Errorf("begin statement in %s: %w", e.db.path, err))
	}
	defer tx.Rollback() //nolint:errcheck // A no-op after Commit.
	res, err := tx.ExecContext(ctx, statement)
	if err != nil {
		return 0, classifySQLite(fmt.Errorf("run statement in %s: %w", e.db.path, err))
	}
	if err := tx.Commit(); err != nil {
		return 0, classifySQLite(fmt.Errorf("commit statement in %s: %w", e.db.path, err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
