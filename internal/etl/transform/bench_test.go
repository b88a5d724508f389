package transform

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// benchInput returns 64 batches of 1,024 orders.
func benchInput() []connector.Batch {
	batches := make([]connector.Batch, 64)
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	customers := []any{"c1", "c2", "c3", "c4"}
	for i := range batches {
		rows := make([][]any, 1024)
		for j := range rows {
			id := int64(i*1024 + j)
			rows[j] = []any{id, float64(id%500) - 20, customers[id%4], day.Add(time.Duration(id) * time.Second)}
		}
		batches[i] = connector.Batch{Schema: ordersSchema, Rows: rows}
	}
	return batches
}

// BenchmarkMapFilter runs the stage step of the design's example pipeline:
// a filter, a map of three columns and a cast.
func BenchmarkMapFilter(b *testing.B) {
	steps := []Step{
		{Filter: "row.amount > 0.0"},
		{Map: []Assignment{{"id", "row.id"}, {"amount_usd", "row.amount * 1.1"}, {"customer_id", "row.customer_id"}}},
		{Cast: map[string]connector.Type{"amount_usd": connector.TypeFloat, "id": connector.TypeInt}},
	}
	input := benchInput()
	ctx := context.Background()
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		c, err := Compile(steps, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range input {
			if err := c.Process(ctx, batch, func(connector.Batch) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		rows += c.Stats().In
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMapFilterPeer is the same work written in Go, the ceiling a CEL
// chain is measured against: the ratio of the two is the price of
// expressions in the pipeline file.
func BenchmarkMapFilterPeer(b *testing.B) {
	input := benchInput()
	b.ReportAllocs()
	var rows, kept int64
	for b.Loop() {
		for _, batch := range input {
			out := make([][]any, 0, len(batch.Rows))
			cells := make([]any, 3*len(batch.Rows))
			for i, row := range batch.Rows {
				rows++
				amount, ok := row[1].(float64)
				if !ok || amount <= 0 {
					continue
				}
				r := cells[3*i : 3*i+3 : 3*i+3]
				r[0], r[1], r[2] = row[0], amount*1.1, row[2]
				out = append(out, r)
			}
			kept += int64(len(out))
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkProfile(b *testing.B) {
	input := benchInput()
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		p := NewProfiler()
		for _, batch := range input {
			p.Add(batch)
		}
		_ = p.Columns()
		rows += p.Rows()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
