package connector

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchGenerator is a generate source of 100,000 rows per run with the
// column mix of the demo's order feeds.
func benchGenerator(b *testing.B) *generateSource {
	b.Helper()
	src, err := NewRegistry(Options{}).NewSource("generate", map[string]any{
		"seed": 1, "rows": 100000,
		"columns": []any{
			map[string]any{"name": "id", "dist": "sequence"},
			map[string]any{"name": "customer_id", "dist": "uniform", "min": 1, "max": 5000, "type": "int"},
			map[string]any{"name": "amount", "dist": "lognormal", "mu": 3, "sigma": 0.8, "decimals": 2, "null": 0.01},
			map[string]any{"name": "status", "dist": "categorical", "values": []any{"paid", "refunded", "void"}, "weights": []any{0.9, 0.08, 0.02}},
			map[string]any{"name": "created_at", "dist": "timestamp"},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return src.(*generateSource)
}

// reportRows reports rows per second over the benchmark's loop.
func reportRows(b *testing.B, rows int64) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkGenerate(b *testing.B) {
	src := benchGenerator(b)
	run := RunInfo{LogicalTime: time.Date(2025, 1, 8, 10, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		err := src.ReadRun(context.Background(), ReadOptions{Run: run}, func(batch Batch) error {
			rows += int64(batch.Len())
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, rows)
}

// benchBatches returns 10,000 generated rows in batches of 1,024.
func benchBatches(b *testing.B) (Schema, []Batch) {
	b.Helper()
	src := benchGenerator(b)
	src.rows = 10000
	var batches []Batch
	err := src.ReadRun(context.Background(), ReadOptions{Run: RunInfo{LogicalTime: time.Date(2025, 1, 8, 12, 0, 0, 0, time.UTC)}},
		func(batch Batch) error {
			batches = append(batches, batch)
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	src.batchSize = 1024
	return src.schema, batches
}

// BenchmarkSQLiteSink loads 10,000 rows per operation, appending them for
// the same run, so that each load also deletes the previous one's rows.
func BenchmarkSQLiteSink(b *testing.B) {
	schema, batches := benchBatches(b)
	for _, mode := range []WriteMode{ModeAppend, ModeUpsert} {
		b.Run(string(mode), func(b *testing.B) {
			r := NewRegistry(Options{BaseDir: b.TempDir()})
			settings := map[string]any{"path": "bench.db", "table": "orders", "mode": string(mode)}
			if mode == ModeUpsert {
				settings["key"] = []any{"id"}
			}
			sink, err := r.NewSink("sqlite", settings)
			if err != nil {
				b.Fatal(err)
			}
			run := runInfo(1)
			b.ReportAllocs()
			var rows int64
			for b.Loop() {
				stats, err := WriteAll(context.Background(), sink, run, schema, batches...)
				if err != nil {
					b.Fatal(err)
				}
				rows += stats.RowsWritten
			}
			reportRows(b, rows)
		})
	}
}

// BenchmarkSQLiteSinkPeer is the peer of BenchmarkSQLiteSink/append: the
// same load (open the database, delete the run's rows, insert, commit,
// close) through one prepared single-row INSERT per row, as plain
// database/sql code would do it. The ratio of the two shows what multi-row
// statements buy.
func BenchmarkSQLiteSinkPeer(b *testing.B) {
	schema, batches := benchBatches(b)
	dsn := "file:" + filepath.Join(b.TempDir(), "peer.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_time_format=sqlite"
	insert := "INSERT INTO orders (" + strings.Join(schema.Names(), ", ") + ", _vigil_run_id) VALUES (?, ?, ?, ?, ?, ?)"
	load := func() int64 {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck
		if _, err := tx.Exec(`CREATE TABLE IF NOT EXISTS orders (id INTEGER, customer_id INTEGER, amount REAL, status TEXT,
			created_at TIMESTAMP, _vigil_run_id TEXT); CREATE INDEX IF NOT EXISTS orders_run ON orders (_vigil_run_id)`); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec("DELETE FROM orders WHERE _vigil_run_id = ?", "run"); err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(insert)
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, batch := range batches {
			for _, row := range batch.Rows {
				if _, err := stmt.Exec(append(row[:len(row):len(row)], "run")...); err != nil {
					b.Fatal(err)
				}
				rows++
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		return rows
	}
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		rows += load()
	}
	reportRows(b, rows)
}
