package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with $n placeholders on a querier, rebinding
// them for its dialect.
type conn struct {
	q       querier
	dialect Dialect
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, rebind(c.dialect, query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, rebind(c.dialect, query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, rebind(c.dialect, query), args...)
}

// rebind rewrites the $n placeholders of a query into SQLite's ?n form, which
// keeps their numbering; PostgreSQL queries are returned as they are. SQLite
// would read $1 as a named parameter and number parameters in order of first
// appearance, which breaks queries that use them out of order or twice.
// Placeholders inside quoted literals and identifiers are left alone.
func rebind(d Dialect, query string) string {
	if d != DialectSQLite || !strings.Contains(query, "$") {
		return query
	}
	b := []byte(query)
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9':
			b[i] = '?'
		}
	}
	return string(b)
}

// scope is where a repository runs its statements: on the store's pool, or
// inside a transaction opened by Store.InTx.
type scope struct {
	store *Store
	tx    *sql.Tx
}

// conn returns the connection for single statements.
func (sc scope) conn() conn {
	if sc.tx != nil {
		return conn{q: sc.tx, dialect: sc.store.dialect}
	}
	return conn{q: sc.store.db, dialect: sc.store.dialect}
}

// atomic runs fn in a transaction: the caller's, if the scope has one, or a
// new one that commits when fn returns nil.
func (sc scope) atomic(ctx context.Context, fn func(c conn) error) error {
	if sc.tx != nil {
		return fn(sc.conn())
	}
	return sc.store.inTx(ctx, func(tx *sql.Tx) error {
		return fn(conn{q: tx, dialect: sc.store.dialect})
	})
}

// inTx runs fn in a new transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back transaction: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
