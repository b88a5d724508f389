package connector

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// closeTimeout bounds closing a PostgreSQL connection, which runs after the
// caller's context may have ended.
const closeTimeout = 5 * time.Second

// postgresConnSettings locate the database: exactly one of a URL, or the
// name of an environment variable holding it, which keeps the password out
// of pipeline files.
type postgresConnSettings struct {
	URL    string `setting:"url"`
	URLEnv string `setting:"url_env"`
}

// postgresSourceSettings are the settings of the postgres source: url or
// url_env, query or table, and batch_size. The query runs in a read-only
// transaction.
type postgresSourceSettings struct {
	postgresConnSettings
	sqlSourceSettings
}

// postgresSinkSettings are the settings of the postgres sink: url or url_env,
// and table, mode and key (see sqlSinkSettings).
type postgresSinkSettings struct {
	postgresConnSettings
	sqlSinkSettings
}

// postgresDB is how a connector reaches one database.
type postgresDB struct {
	env    *Env
	url    string
	urlEnv string
}

func newPostgresDB(env *Env, s postgresConnSettings) (postgresDB, error) {
	switch {
	case s.URL != "" && s.URLEnv != "":
		return postgresDB{}, &settingError{path: "url", err: errors.New("set either url or url_env, not both")}
	case s.URL == "" && s.URLEnv == "":
		return postgresDB{}, &settingError{path: "url", err: errors.New("one of url or url_env is required")}
	case s.URL != "":
		if _, err := parsePostgresURL(s.URL); err != nil {
			return postgresDB{}, &settingError{path: "url", err: err}
		}
	}
	return postgresDB{env: env, url: s.URL, urlEnv: s.URLEnv}, nil
}

// parsePostgresURL parses a connection URL. Its errors never quote the URL,
// which may hold a password.
func parsePostgresURL(raw string) (*pgx.ConnConfig, error) {
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return nil, errors.New("want a postgres:// URL")
	}
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, errors.New("invalid postgres URL (details withheld, as it may hold a password)")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "vigil-etl"
	}
	return cfg, nil
}

// connect opens a connection; the caller closes it with closeConn.
func (d postgresDB) connect(ctx context.Context) (*pgx.Conn, error) {
	raw := d.url
	if d.urlEnv != "" {
		raw = d.env.Getenv(d.urlEnv)
		if raw == "" {
			return nil, Errorf(ClassConfig, "environment variable %s, named by url_env, is empty", d.urlEnv)
		}
	}
	cfg, err := parsePostgresURL(raw)
	if err != nil {
		return nil, WithClass(ClassConfig, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, classifyPostgres(fmt.Errorf("connect to postgres: %w", err))
	}
	return conn, nil
}

// closeConn closes conn even when the caller's context has ended.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}

// rollback ends tx, if it is still open, even when the caller's context has
// ended.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// classifyPostgres gives an error from PostgreSQL its class, by SQLSTATE.
func classifyPostgres(err error) error {
	if err == nil {
		return nil
	}
	if pgconn.Timeout(err) {
		return WithClass(ClassTimeout, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 {
		code, class := pe.Code, pe.Code[:2]
		switch {
		case class == "22" || class == "23":
			return WithClass(ClassData, err)
		case code == "42P01" || code == "42703" || code == "42P10" || code == "42804" || code == "3F000" || code == "42701":
			return WithClass(ClassSchema, err)
		case code == "40001" || code == "40P01" || code == "55P03" || code == "55006":
			return WithClass(ClassLocked, err)
		case code == "53100":
			return WithClass(ClassSinkFull, err)
		case code == "53300" || class == "08" || class == "57" && code != "57014":
			return WithClass(ClassConnection, err)
		case code == "57014":
			return WithClass(ClassTimeout, err)
		case class == "42" || class == "25" || class == "28" || class == "3D":
			return WithClass(ClassConfig, err)
		}
		return WithClass(ClassInternal, err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return orClass(ClassConnection, err)
	}
	return orClass(ClassInternal, err)
}

// postgresTypeName is the type of a column the sink creates.
func postgresTypeName(t Type) string {
	switch t {
	case TypeInt:
		return "bigint"
	case TypeFloat:
		return "double precision"
	case TypeBool:
		return "boolean"
	case TypeTime:
		return "timestamptz"
	default:
		return "text"
	}
}

// postgresType maps a result column's type OID to a column type. Types
// without a counterpart are read as their text.
func postgresType(oid uint32) Type {
	switch oid {
	case pgtype.BoolOID:
		return TypeBool
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		return TypeInt
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		return TypeFloat
	case pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return TypeTime
	default:
		return TypeString
	}
}

// postgresValue converts a value pgx decoded to a column Go type, or to
// text for types without a counterpart.
func postgresValue(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil
		}
		return f.Float64
	case []byte:
		return string(x)
	case [16]byte: // A uuid.
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case map[string]any, []any: // json and jsonb.
		b, err := json.Marshal(x)
		if err == nil {
			return string(b)
		}
	case driver.Valuer:
		if dv, err := x.Value(); err == nil {
			switch dv := dv.(type) {
			case string:
				return dv
			case []byte:
				return string(dv)
			}
		}
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

type postgresSource struct {
	db        postgresDB
	query     string
	batchSize int
}

func newPostgresSource(env *Env, settings map[string]any) (Source, error) {
	var s postgresSourceSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newPostgresDB(env, s.postgresConnSettings)
	if err != nil {
		return nil, err
	}
	query, err := s.statement()
	if err != nil {
		return nil, err
	}
	return &postgresSource{db: db, query: query, batchSize: s.BatchSize}, nil
}

// Read runs the query, failing at the first value that does not fit its
// column's type.
func (s *postgresSource) Read(ctx context.Context, emit func(Batch) error) error {
	return s.ReadRun(ctx, ReadOptions{}, emit)
}

// ReadRun runs the query in a read-only transaction, handing bad rows to
// opts.OnRowError.
func (s *postgresSource) ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error {
	conn, err := s.db.connect(ctx)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return classifyPostgres(fmt.Errorf("begin read: %w", err))
	}
	defer rollback(tx)
	rows, err := tx.Query(ctx, s.query)
	if err != nil {
		return classifyPostgres(fmt.Errorf("query postgres: %w", err))
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	if len(fds) == 0 {
		// pgx reports some failures, such as a write in a read-only
		// transaction, only when the rows are read.
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			return classifyPostgres(fmt.Errorf("query postgres: %w", err))
		}
	}
	cols := make([]sqlColumn, len(fds))
	for i, fd := range fds {
		cols[i] = sqlColumn{name: fd.Name, typ: postgresType(fd.DataTypeOID), typed: true}
	}
	r, err := newSQLReader("postgres query", cols, s.batchSize, opts, emit)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		if n%s.batchSize == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		vals, err := rows.Values()
		if err != nil {
			return classifyPostgres(fmt.Errorf("read postgres rows: %w", err))
		}
		for i, v := range vals {
			vals[i] = postgresValue(v)
		}
		if err := r.add(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return classifyPostgres(fmt.Errorf("query postgres: %w", err))
	}
	return r.finish()
}

type postgresSink struct {
	db    postgresDB
	table string
	mode  WriteMode
	key   []string
}

func newPostgresSink(env *Env, settings map[string]any) (Sink, error) {
	var s postgresSinkSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newPostgresDB(env, s.postgresConnSettings)
	if err != nil {
		return nil, err
	}
	mode, err := s.validate()
	if err != nil {
		return nil, err
	}
	return &postgresSink{db: db, table: s.Table, mode: mode, key: s.Key}, nil
}

// Write loads the batches in one transaction with COPY, creating the table
// if needed. Upserts copy into a temporary table first, then merge it into
// the target, keeping the last row of each key.
func (s *postgresSink) Write(ctx context.Context, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error) {
	plan, err := newLoadPlan(schema, s.mode, run)
	if err != nil {
		return WriteStats{}, err
	}
	if err := checkKey(plan, s.key); err != nil {
		return WriteStats{}, err
	}
	conn, err := s.db.connect(ctx)
	if err != nil {
		return WriteStats{}, err
	}
	defer closeConn(conn)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return WriteStats{}, classifyPostgres(fmt.Errorf("begin load into %s: %w", s.table, err))
	}
	defer rollback(tx)
	stats, err := s.load(ctx, tx, plan, run.RunID, batches)
	if err != nil {
		return WriteStats{}, classifyPostgres(fmt.Errorf("load into %s: %w", s.table, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return WriteStats{}, classifyPostgres(fmt.Errorf("commit load into %s: %w", s.table, err))
	}
	return stats, nil
}

func (s *postgresSink) load(ctx context.Context, tx pgx.Tx, plan loadPlan, runID string, batches <-chan Batch) (WriteStats, error) {
	var stats WriteStats
	if err := s.prepareTable(ctx, tx, plan, runID, &stats); err != nil {
		return stats, err
	}
	names := plan.columns.Names()
	if s.mode == ModeAppend {
		names = append(names, RunIDColumn)
	}
	target := pgx.Identifier(strings.Split(s.table, "."))
	if s.mode == ModeUpsert {
		const stage = "_vigil_load"
		stmt := "CREATE TEMP TABLE " + stage + " ON COMMIT DROP AS SELECT " + quoteList(names) +
			" FROM " + quoteIdent(s.table) + " WITH NO DATA"
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return stats, fmt.Errorf("create staging table: %w", err)
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+stage+" ADD COLUMN _vigil_ord bigint GENERATED ALWAYS AS IDENTITY"); err != nil {
			return stats, fmt.Errorf("create staging table: %w", err)
		}
		target = pgx.Identifier{stage}
	}
	src := &copySource{ctx: ctx, plan: plan, batches: batches, target: s.table}
	if s.mode == ModeAppend {
		src.runID, src.tagRun = runID, true
	}
	n, err := tx.CopyFrom(ctx, target, names, src)
	if src.err != nil {
		return stats, src.err // More precise than what COPY makes of it.
	}
	if err != nil {
		return stats, fmt.Errorf("copy rows: %w", err)
	}
	if s.mode == ModeUpsert {
		key := quoteList(s.key)
		stmt := "INSERT INTO " + quoteIdent(s.table) + " (" + quoteList(names) + ") SELECT DISTINCT ON (" + key + ") " +
			quoteList(names) + " FROM _vigil_load ORDER BY " + key + ", _vigil_ord DESC" + upsertClause(plan.columns, s.key)
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return stats, fmt.Errorf("merge staged rows: %w", err)
		}
	}
	stats.RowsWritten, stats.Bytes = n, src.bytes
	return stats, nil
}

// prepareTable creates the table or checks it, and deletes the rows the
// load replaces.
func (s *postgresSink) prepareTable(ctx context.Context, tx pgx.Tx, plan loadPlan, runID string, stats *WriteStats) error {
	var existing []string
	rows, err := tx.Query(ctx, `SELECT attname FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, quoteIdent(s.table))
	if err == nil {
		existing, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	if len(existing) == 0 {
		if _, err := tx.Exec(ctx, createTableSQL(s.table, plan, s.mode, s.key, postgresTypeName)); err != nil {
			return fmt.Errorf("create table: %w", err)
		}
		stats.Created = true
	} else {
		missingRunID, err := checkTarget(s.table, existing, plan)
		if err != nil {
			return err
		}
		if s.mode == ModeAppend && missingRunID {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+quoteIdent(s.table)+" ADD COLUMN "+quoteIdent(RunIDColumn)+" text"); err != nil {
				return fmt.Errorf("add column %s: %w", RunIDColumn, err)
			}
		}
	}
	var tag pgconn.CommandTag
	switch s.mode {
	case ModeAppend:
		stmt := "CREATE INDEX IF NOT EXISTS " + quoteIdent(runIndexName(s.table)) + " ON " + quoteIdent(s.table) + " (" + quoteIdent(RunIDColumn) + ")"
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create index on %s: %w", RunIDColumn, err)
		}
		tag, err = tx.Exec(ctx, "DELETE FROM "+quoteIdent(s.table)+" WHERE "+quoteIdent(RunIDColumn)+" = $1", runID)
	case ModeReplace:
		tag, err = tx.Exec(ctx, "DELETE FROM "+quoteIdent(s.table))
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete replaced rows: %w", err)
	}
	stats.RowsDeleted = tag.RowsAffected()
	return nil
}

// copySource feeds COPY from the batch channel, one row at a time.
type copySource struct {
	ctx     context.Context
	plan    loadPlan
	batches <-chan Batch
	target  string
	runID   string
	tagRun  bool

	rows   [][]any
	i      int
	vals   []any
	record int64
	bytes  int64
	err    error
}

// Next advances to the next row, receiving a batch when needed.
func (c *copySource) Next() bool {
	for c.i >= len(c.rows) {
		b, ok, err := c.plan.next(c.ctx, c.batches)
		if err != nil || !ok {
			c.err = err
			return false
		}
		c.rows, c.i = b.Rows, 0
	}
	row := c.rows[c.i]
	c.i++
	c.record++
	if err := c.plan.check(c.target, row, c.record); err != nil {
		c.err = err
		return false
	}
	c.vals = c.vals[:0]
	for _, i := range c.plan.index {
		c.vals = append(c.vals, row[i])
		c.bytes += valueSize(row[i])
	}
	if c.tagRun {
		c.vals = append(c.vals, c.runID)
	}
	return true
}

// Values returns the current row.
func (c *copySource) Values() ([]any, error) { return c.vals, nil }

// Err returns why Next stopped early.
func (c *copySource) Err() error { return c.err }

type postgresExecer struct {
	db postgresDB
}

func newPostgresExecer(env *Env, settings map[string]any) (Execer, error) {
	var s postgresConnSettings
	if err := DecodeSettings(settings, &s); err != nil {
		return nil, err
	}
	db, err := newPostgresDB(env, s)
	if err != nil {
		return nil, err
	}
	return &postgresExecer{db: db}, nil
}

// Exec runs statement in one transaction.
func (e *postgresExecer) Exec(ctx context.Context, statement string) (int64, error) {
	conn, err := e.db.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer closeConn(conn)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, classifyPostgres(fmt.Errorf("begin statement: %w", err))
	}
	defer rollback(tx)
	tag, err := tx.Exec(ctx, statement)
	if err != nil {
		return 0, classifyPostgres(fmt.Errorf("run statement: %w", err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, classifyPostgres(fmt.Errorf("commit statement: %w", err))
	}
	return tag.RowsAffected(), nil
}
