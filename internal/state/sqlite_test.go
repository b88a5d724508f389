package state

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func openSQLiteStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Options{DataDir: dir, Registerer: prometheus.NewPedanticRegistry()})
	if err != nil {
		t.Fatalf("open sqlite store in %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestSQLite(t *testing.T) {
	s := openSQLiteStore(t, t.TempDir())
	if s.Dialect() != DialectSQLite {
		t.Fatalf("Dialect() = %q, want %q", s.Dialect(), DialectSQLite)
	}
	runSuite(t, s)
}

func TestSQLiteReopen(t *testing.T) {
	testReopen(t, Options{DataDir: t.TempDir()})
}

func TestSQLiteConcurrentOpen(t *testing.T) {
	testConcurrentOpen(t, Options{DataDir: t.TempDir()})
}

// TestSQLitePragmas checks that every pooled connection, not only the first,
// gets the settings of the DSN.
func TestSQLitePragmas(t *testing.T) {
	s := openSQLiteStore(t, t.TempDir())
	ctx := t.Context()
	const conns = 3
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer c.Close()
			<-start // Hold every connection at once, so that each is a different one.
			for pragma, want := range map[string]string{
				"journal_mode": "wal",
				"foreign_keys": "1",
				"busy_timeout": "10000",
				"synchronous":  "2", // FULL.
			} {
				var got string
				if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Errorf("PRAGMA %s: %v", pragma, err)
					continue
				}
				if !strings.EqualFold(got, want) {
					t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if got := s.db.Stats().OpenConnections; got < conns {
		t.Errorf("%d connections open, want at least %d", got, conns)
	}
}

// TestSQLiteDataDirPath checks that a data directory whose name holds
// characters special in URIs is used as it is.
func TestSQLiteDataDirPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd dir?x=1#y%20z")
	s := openSQLiteStore(t, dir)
	if err := s.Meta().Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err != nil {
		t.Fatalf("state.db is not in the data directory: %v", err)
	}
}

func TestOpenNeedsALocation(t *testing.T) {
	s, err := Open(t.Context(), Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open without a data directory or URL succeeded")
	}
}
