package transform

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ordersSchema is the input of most tests.
var ordersSchema = connector.Schema{
	{Name: "id", Type: connector.TypeInt},
	{Name: "amount", Type: connector.TypeFloat},
	{Name: "customer_id", Type: connector.TypeString},
	{Name: "created_at", Type: connector.TypeTime},
}

func order(id int64, amount any, customer any) []any {
	return []any{id, amount, customer, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Hour)}
}

// run passes batches through a chain and returns every row emitted, the
// schema of the last batch, and the error of the first failing call.
func run(t *testing.T, c *Chain, batches ...connector.Batch) (connector.Schema, [][]any, error) {
	t.Helper()
	var schema connector.Schema
	var rows [][]any
	emit := func(b connector.Batch) error {
		schema = b.Schema
		rows = append(rows, b.Rows...)
		return nil
	}
	ctx := context.Background()
	for _, b := range batches {
		if err := c.Process(ctx, b, emit); err != nil {
			return schema, rows, err
		}
	}
	return schema, rows, c.Flush(ctx, emit)
}

func mustCompile(t *testing.T, steps []Step, opts Options) *Chain {
	t.Helper()
	c, err := Compile(steps, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}
