package state

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testReopen checks that data survives Close and that a database migrated
// by a newer binary is refused. opts must name an empty database.
func testReopen(t *testing.T, opts Options) {
	ctx := t.Context()
	reg := prometheus.NewPedanticRegistry()
	opts.Registerer = reg
	s, err := Open(ctx, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.Meta().Put(ctx, "instance_id", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	id, _, err := s.Outbox().Enqueue(ctx, Item{Topic: "reopen", Key: "k", Payload: []byte("p"), NotBefore: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// The same registry works again: Close unregistered the metrics.
	s, err = Open(ctx, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got := testutil.ToFloat64(s.metrics.migrationsApplied); got != 0 {
		t.Errorf("reopening applied %v migrations, want 0", got)
	}
	if got, err := s.Meta().Get(ctx, "instance_id"); err != nil || !bytes.Equal(got, []byte("abc")) {
		t.Errorf("meta after reopening = %q, %v; want abc", got, err)
	}
	items, err := s.Outbox().List(ctx, ListFilter{Topic: "reopen"})
	if err != nil || len(items) != 1 || items[0].ID != id || !items[0].NotBefore.Equal(t0) {
		t.Errorf("outbox after reopening = %+v, %v; want item %d", items, err, id)
	}

	// Pretend a newer binary migrated the database.
	if _, err := s.Meta().sc.conn().exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, 1000, "from the future"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s, err = Open(ctx, opts)
	if !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open a database at version 1000: err = %v, want ErrSchemaTooNew", err)
	}
	if n, err := reg.Gather(); err != nil || len(n) != 0 {
		t.Errorf("a failed Open left %d metric families registered (err %v)", len(n), err)
	}
}

// testConcurrentOpen opens several stores on one empty database at once and
// checks that the migrations were applied exactly once in all.
func testConcurrentOpen(t *testing.T, opts Options) {
	const n = 4
	stores := make([]*Store, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := Open(t.Context(), opts)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	applied := 0.0
	for _, s := range stores {
		if s == nil {
			continue
		}
		applied += testutil.ToFloat64(s.metrics.migrationsApplied)
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	if t.Failed() {
		return
	}
	if want := float64(len(schema())); applied != want {
		t.Errorf("%d concurrent opens applied %v migrations in all, want %v", n, applied, want)
	}
}
