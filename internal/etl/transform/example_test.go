package transform_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/transform"
)

// Example wires a task as the runtime does: a csv source, a chain that
// dead-letters the rows it cannot transform, and a sqlite sink loading in
// the background from a channel, all cancelled together if a step fails.
func Example() {
	dir, err := os.MkdirTemp("", "vigil-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	orders := "id,amount,customer_id\n1,20.5,c1\n2,-3,c2\n3,,c3\n4,oops,c4\n5,100,c5\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(orders), 0o644); err != nil {
		panic(err)
	}
	reg := connector.NewRegistry(connector.Options{BaseDir: dir})
	src, _ := reg.NewSource("csv", map[string]any{"path": "orders.csv",
		"columns": map[string]any{"id": "int", "amount": "float", "customer_id": "string"}})
	sink, _ := reg.NewSink("sqlite", map[string]any{"path": "warehouse.db", "table": "stg_orders", "mode": "upsert", "key": []any{"id"}})
	dead, _ := reg.NewSink("jsonl", map[string]any{"path": "dead/stage_orders.jsonl"})
	run := connector.RunInfo{RunID: "orders_mart/2024-01-01T00:00:00Z", Pipeline: "orders_mart", Task: "stage_orders", Attempt: 1}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dl := transform.StartDeadLetter(ctx, dead, run)
	chain, err := transform.Compile([]transform.Step{
		{Filter: "row.amount == null || row.amount > 0.0"},
		{Map: []transform.Assignment{{Column: "id", Expr: "row.id"}, {Column: "amount_usd", Expr: "row.amount * 1.1"}}},
	}, transform.Options{Policy: transform.PolicyDeadLetter, DeadLetter: dl.Put})
	if err != nil {
		panic(err)
	}

	// The sink starts with the first batch, which carries the schema.
	batches := make(chan connector.Batch)
	type result struct {
		stats connector.WriteStats
		err   error
	}
	loaded := make(chan result, 1)
	started := false
	send := func(b connector.Batch) error {
		if !started {
			started = true
			go func() {
				stats, err := sink.Write(ctx, run, b.Schema, batches)
				loaded <- result{stats, err}
			}()
		}
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	opts := connector.ReadOptions{Run: run, OnRowError: chain.OnRowError(ctx)}
	err = connector.ReadRun(ctx, src, opts, func(b connector.Batch) error { return chain.Process(ctx, b, send) })
	if err == nil {
		err = chain.Flush(ctx, send)
	}
	if err != nil {
		cancel() // The sink rolls back; the dead letters are discarded.
		if started {
			<-loaded
		}
		dl.Abort()
		fmt.Println("task failed:", err)
		return
	}
	close(batches)
	res := <-loaded
	deadStats, deadErr := dl.Close(ctx)
	fmt.Printf("loaded %d rows (%v), dead-lettered %d (%v)\n", res.stats.RowsWritten, res.err, deadStats.RowsWritten, deadErr)
	fmt.Printf("%+v\n", chain.Stats())
	// Output:
	// loaded 2 rows (<nil>), dead-lettered 2 (<nil>)
	// {In:5 Out:2 Filtered:1 Skipped:0 DeadLettered:2}
}
