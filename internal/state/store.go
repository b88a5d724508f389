package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Dialect names the SQL backend behind a Store.
type Dialect string

// The supported backends.
const (
	DialectSQLite   Dialect = "sqlite"
	DialectPostgres Dialect = "postgres"
)

// Options configures Open.
type Options struct {
	// DataDir is the directory of the SQLite database, state.db. It is
	// created if missing. It is ignored when PostgresURL is set.
	DataDir string
	// PostgresURL, when set, selects PostgreSQL instead of SQLite. It must be
	// a postgres:// or postgresql:// URL; its password never appears in
	// errors or logs.
	PostgresURL string
	// Logger receives the store's logs. Nil discards them.
	Logger *slog.Logger
	// Registerer receives the store's metrics. Nil leaves them unregistered.
	Registerer prometheus.Registerer
	// NoSync, for simulations and tests only, makes SQLite commit without
	// waiting for the disk (synchronous=OFF): much faster, but a power loss
	// may lose the latest commits or corrupt the database. It is ignored
	// for PostgreSQL.
	NoSync bool
}

// Store is Vigil's relational state. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	dialect  Dialect
	location string // The database's path or redacted URL, for messages.
	logger   *slog.Logger
	metrics  *metrics
}

// Open connects to the backend chosen by opts, brings its schema up to date
// and returns the store. It refuses a database whose schema is newer than
// this binary knows (ErrSchemaTooNew).
func Open(ctx context.Context, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		b   backend
		err error
	)
	if opts.PostgresURL != "" {
		b, err = openPostgres(opts.PostgresURL)
	} else {
		b, err = openSQLite(opts.DataDir, opts.NoSync)
	}
	if err != nil {
		return nil, fmt.Errorf("open state store: %w", err)
	}
	if err := b.db.PingContext(ctx); err != nil {
		return nil, errors.Join(
			fmt.Errorf("connect to state store %s: %w", b.location, b.redact(err)),
			b.db.Close())
	}
	s := &Store{db: b.db, dialect: b.dialect, location: b.location, logger: logger}
	if s.metrics, err = newMetrics(opts.Registerer, s); err != nil {
		return nil, errors.Join(fmt.Errorf("register state store metrics: %w", err), b.db.Close())
	}
	if err := s.migrate(ctx, schema()); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate state store %s: %w", s.location, err), s.Close())
	}
	logger.Info("state store opened", "dialect", s.dialect, "location", s.location)
	return s, nil
}

// Close unregisters the store's metrics and closes its connections.
func (s *Store) Close() error {
	s.metrics.unregister()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state store %s: %w", s.location, err)
	}
	return nil
}

// Dialect reports the backend in use.
func (s *Store) Dialect() Dialect {
	return s.dialect
}

// Ping checks that the backend is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping state store %s: %w", s.location, err)
	}
	return nil
}

// Meta returns the key/value repository.
func (s *Store) Meta() Meta {
	return Meta{sc: scope{store: s}}
}

// Outbox returns the durable outbox.
func (s *Store) Outbox() Outbox {
	return Outbox{sc: scope{store: s}}
}

// Tx is a transaction opened by InTx. The repositories it returns run their
// statements inside it, so that, for example, a record and the outbox item
// announcing it are committed together or not at all.
type Tx struct {
	sc scope
}

// Meta returns the key/value repository within the transaction.
func (tx *Tx) Meta() Meta {
	return Meta{sc: tx.sc}
}

// Outbox returns the durable outbox within the transaction.
func (tx *Tx) Outbox() Outbox {
	return Outbox{sc: tx.sc}
}

// InTx runs fn in one transaction, which commits if fn returns nil and rolls
// back otherwise. Inside fn, use only tx's repositories: on SQLite the
// transaction holds the database's write lock until it ends, so writes
// through the Store itself would wait for it and time out. Keep fn short.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, func(sqlTx *sql.Tx) error {
		return fn(&Tx{sc: scope{store: s, tx: sqlTx}})
	})
}
