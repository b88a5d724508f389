package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer Vigil than this one. Running an older binary against it could
// corrupt data, so the store refuses to open.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary supports")

// migrationLockKey identifies Vigil's schema migrations among PostgreSQL
// advisory locks. The value is arbitrary ("vigilmig" in ASCII) and must
// never change.
const migrationLockKey int64 = 0x76_69_67_69_6c_6d_69_67

// unlockTimeout bounds the release of the migration lock, which runs even
// when the caller's context has ended.
const unlockTimeout = 10 * time.Second

// migration is one step of the schema's history.
type migration struct {
	version int
	name    string
	// sql holds the statements for every dialect not listed in dialectSQL.
	sql        string
	dialectSQL map[Dialect]string
}

// statements returns the migration's SQL for dialect d.
func (m migration) statements(d Dialect) string {
	if s, ok := m.dialectSQL[d]; ok {
		return s
	}
	return m.sql
}

// schemaMigrationsDDL creates the table that records applied migrations.
func schemaMigrationsDDL(d Dialect) string {
	if d == DialectPostgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
	)`
}

// migrate applies, in order and each in its own transaction, the migrations
// of ms (sorted by version) that the database has not recorded yet. On
// PostgreSQL an advisory lock makes concurrent starts wait for each other;
// on SQLite each transaction holds the database's write lock, and every
// migration is checked again inside its transaction, so none is applied
// twice on either.
func (s *Store) migrate(ctx context.Context, ms []migration) (err error) {
	sc, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get connection: %w", err)
	}
	defer func() {
		err = errors.Join(err, sc.Close())
	}()
	if s.dialect == DialectPostgres {
		if _, err := sc.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		defer func() {
			err = errors.Join(err, unlockMigrations(sc))
		}()
	}
	c := conn{q: sc, dialect: s.dialect}
	if _, err := c.exec(ctx, schemaMigrationsDDL(s.dialect)); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := c.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		return fmt.Errorf("%w: the database is at version %d, this binary knows versions up to %d; run a newer vigil or use another database",
			ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		applied, err := s.apply(ctx, sc, m)
		if err != nil {
			return fmt.Errorf("apply migration %d (%s): %w", m.version, m.name, err)
		}
		if applied {
			s.metrics.migrationsApplied.Inc()
			s.logger.Info("applied state store migration", "version", m.version, "name", m.name)
		}
		current = m.version
	}
	s.metrics.schemaVersion.Set(float64(current))
	return nil
}

// apply runs migration m in a transaction on sc and records it, unless it
// has been recorded meanwhile. It reports whether it applied m.
func (s *Store) apply(ctx context.Context, sc *sql.Conn, m migration) (applied bool, err error) {
	tx, err := sc.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
				err = errors.Join(err, fmt.Errorf("roll back transaction: %w", rerr))
			}
		}
	}()
	c := conn{q: tx, dialect: s.dialect}
	var n int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return false, fmt.Errorf("check schema_migrations: %w", err)
	}
	if n > 0 {
		return false, tx.Rollback()
	}
	if _, err := c.exec(ctx, m.statements(s.dialect)); err != nil {
		return false, err
	}
	if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return false, fmt.Errorf("record migration: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

// unlockMigrations releases the PostgreSQL migration lock held by sc's
// session. If that fails, it discards the connection instead of returning
// it to the pool, since ending the session releases the lock, and a pooled
// session still holding it would block every later start.
func unlockMigrations(sc *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if _, err := sc.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
		_ = sc.Raw(func(any) error { return driver.ErrBadConn })
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}
