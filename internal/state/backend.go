package state

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // Registers the "sqlite" database/sql driver.
)

// sqliteFile is the name of the SQLite database in the data directory.
const sqliteFile = "state.db"

// backend is an opened, not yet verified, database handle.
type backend struct {
	db       *sql.DB
	dialect  Dialect
	location string   // The path or redacted URL, safe to print.
	secrets  []string // What must be removed from error messages.
}

// redact returns err, or a copy of its message with the backend's secrets
// masked if it contains one. The copy does not wrap err, whose own message
// would reveal them.
func (b backend) redact(err error) error {
	return redactError(err, b.secrets)
}

// openSQLite opens <dataDir>/state.db, creating the directory if needed.
// noSync trades durability for speed, as Options.NoSync describes.
func openSQLite(dataDir string, noSync bool) (backend, error) {
	if dataDir == "" {
		return backend{}, errors.New("neither a data directory nor a PostgreSQL URL is set")
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return backend{}, fmt.Errorf("resolve data directory %q: %w", dataDir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return backend{}, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, sqliteFile)
	db, err := sql.Open("sqlite", sqliteDSN(path, noSync))
	if err != nil {
		return backend{}, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	// SQLite allows one writer at a time; a few connections let reads proceed
	// alongside it, as WAL mode permits.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return backend{db: db, dialect: DialectSQLite, location: path}, nil
}

// sqliteDSN returns the modernc.org/sqlite data source name for path. The
// driver runs the _pragma settings on every new connection, so all pooled
// connections get them:
//   - busy_timeout makes a connection wait for the write lock instead of
//     failing at once with SQLITE_BUSY;
//   - foreign_keys enforces foreign keys, which SQLite does not by default;
//   - journal_mode WAL lets readers proceed while one connection writes;
//   - synchronous FULL makes every commit durable on power loss, which the
//     outbox's promise depends on; noSync sets OFF instead, for simulations.
//
// _txlock=immediate makes read-write transactions take the write lock when
// they begin, so two of them cannot both read and then fail to upgrade.
func sqliteDSN(path string, noSync bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	if noSync {
		q.Add("_pragma", "synchronous(OFF)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	q.Set("_txlock", "immediate")
	// A file: URI, unlike a bare path, lets the path hold any character.
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// openPostgres opens a pool for the PostgreSQL database at rawURL.
func openPostgres(rawURL string) (backend, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse errors quote the input, password included.
		return backend{}, errors.New("parse postgres url: malformed url (details withheld, as the url may hold a password)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return backend{}, fmt.Errorf("parse postgres url %s: scheme must be postgres or postgresql", redactURL(u))
	}
	b := backend{dialect: DialectPostgres, location: redactURL(u), secrets: urlSecrets(u)}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return backend{}, fmt.Errorf("parse postgres url %s: %w", b.location, b.redact(err))
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "vigil" // Names the sessions in pg_stat_activity.
	}
	b.db = stdlib.OpenDB(*cfg)
	b.db.SetMaxOpenConns(16)
	b.db.SetMaxIdleConns(4)
	b.db.SetConnMaxIdleTime(5 * time.Minute)
	return b, nil
}
