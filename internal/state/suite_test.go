package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// t0 is the start of the suite's simulated time.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// runSuite is the repository test suite. Every backend runs it on a store
// opened on a fresh, empty database. Subtests use their own keys and topics,
// so they do not see each other's data.
func runSuite(t *testing.T, s *Store) {
	t.Run("Migrations", func(t *testing.T) { testMigrations(t, s) })
	t.Run("Meta", func(t *testing.T) { testMeta(t, s) })
	t.Run("MetaLargeValue", func(t *testing.T) { testMetaLargeValue(t, s) })
	t.Run("InTx", func(t *testing.T) { testInTx(t, s) })
	t.Run("OutboxEnqueue", func(t *testing.T) { testOutboxEnqueue(t, s) })
	t.Run("OutboxClaimLease", func(t *testing.T) { testOutboxClaimLease(t, s) })
	t.Run("OutboxOwner", func(t *testing.T) { testOutboxOwner(t, s) })
	t.Run("OutboxRetryFail", func(t *testing.T) { testOutboxRetryFail(t, s) })
	t.Run("OutboxList", func(t *testing.T) { testOutboxList(t, s) })
	t.Run("OutboxConcurrentClaimers", func(t *testing.T) { testOutboxConcurrentClaimers(t, s) })
	t.Run("OutboxItemsMetric", func(t *testing.T) { testOutboxItemsMetric(t, s) })
	t.Run("OperationErrorsMetric", func(t *testing.T) { testOperationErrorsMetric(t, s) })
	t.Run("ETLRuns", func(t *testing.T) { testETLRuns(t, s) })
	t.Run("ETLTasks", func(t *testing.T) { testETLTasks(t, s) })
	t.Run("ETLLastSuccesses", func(t *testing.T) { testETLLastSuccesses(t, s) })
	t.Run("ETLAttemptsLogs", func(t *testing.T) { testETLAttemptsLogs(t, s) })
	t.Run("ETLControls", func(t *testing.T) { testETLControls(t, s) })
	t.Run("ETLPipelinesCircuitsAgents", func(t *testing.T) { testETLPipelinesCircuitsAgents(t, s) })
	t.Run("ETLInTx", func(t *testing.T) { testETLInTx(t, s) })
}

func testMigrations(t *testing.T, s *Store) {
	ctx := t.Context()
	ms := schema()
	latest := ms[len(ms)-1].version

	checkVersions := func(wantRows, wantMax int) {
		t.Helper()
		var rows, maxVersion int
		err := s.Meta().sc.conn().queryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &maxVersion)
		if err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		if rows != wantRows || maxVersion != wantMax {
			t.Fatalf("schema_migrations has %d rows up to version %d, want %d up to %d", rows, maxVersion, wantRows, wantMax)
		}
	}
	checkApplied := func(want int) {
		t.Helper()
		if got := testutil.ToFloat64(s.metrics.migrationsApplied); got != float64(want) {
			t.Fatalf("vigil_state_migrations_applied_total = %v, want %d", got, want)
		}
	}

	// Open applied every migration once.
	checkVersions(len(ms), latest)
	checkApplied(len(ms))
	if got := testutil.ToFloat64(s.metrics.schemaVersion); got != float64(latest) {
		t.Errorf("vigil_state_schema_version = %v, want %d", got, latest)
	}

	// Running them again is a no-op.
	if err := s.migrate(ctx, ms); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	checkVersions(len(ms), latest)
	checkApplied(len(ms))

	// A new migration is applied once, in order.
	next := append(schema(), migration{
		version: latest + 1,
		name:    "suite extra",
		sql:     `CREATE TABLE suite_extra (x INTEGER NOT NULL); INSERT INTO suite_extra (x) VALUES (42)`,
	})
	t.Cleanup(func() {
		c := s.Meta().sc.conn()
		ctx := context.Background()
		if _, err := c.exec(ctx, `DROP TABLE IF EXISTS suite_extra`); err != nil {
			t.Errorf("drop suite_extra: %v", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, latest+1); err != nil {
			t.Errorf("forget the extra migration: %v", err)
		}
	})
	for range 2 {
		if err := s.migrate(ctx, next); err != nil {
			t.Fatalf("migrate with an extra migration: %v", err)
		}
		checkVersions(len(ms)+1, latest+1)
		checkApplied(len(ms) + 1)
	}
	var rows int
	if err := s.Meta().sc.conn().queryRow(ctx, `SELECT COUNT(*) FROM suite_extra`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("suite_extra has %d rows (err %v), want the 1 row its migration inserted", rows, err)
	}

	// The database is now newer than the schema this binary knows.
	err := s.migrate(ctx, ms)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("migrate an older schema over a newer database: err = %v, want ErrSchemaTooNew", err)
	}
	t.Logf("refusal reads: %v", err)
}
