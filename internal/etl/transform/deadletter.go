package transform

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// deadLetterBatch is how many failed rows a DeadLetter sends to its sink
// at a time.
const deadLetterBatch = 256

// DeadLetterSchema returns the columns of dead-letter rows: the step that
// failed, the row's number, the error, and the row itself as a JSON object,
// or as the source read it.
func DeadLetterSchema() connector.Schema {
	return connector.Schema{
		{Name: "step", Type: connector.TypeString},
		{Name: "row", Type: connector.TypeInt},
		{Name: "error", Type: connector.TypeString},
		{Name: "record", Type: connector.TypeString},
	}
}

// DeadLetter loads failed rows into a sink as one load of the run, written
// by a goroutine of its own. Its Put method is the Options.DeadLetter of a
// Chain. The load commits on Close and is discarded by Abort, so a failed
// attempt that is retried leaves no dead letters behind, and, the load
// being idempotent per run, a retried one does not duplicate them.
type DeadLetter struct {
	ch      chan connector.Batch
	cancel  context.CancelFunc
	done    chan struct{} // Closed when the sink's Write returns.
	stats   connector.WriteStats
	err     error
	pending [][]any
	mu      sync.Mutex // Guards closed, for Put after Close.
	closed  bool
}

// StartDeadLetter starts a load of failed rows into sink for run. The
// caller must end it with Close or Abort.
func StartDeadLetter(ctx context.Context, sink connector.Sink, run connector.RunInfo) *DeadLetter {
	ctx, cancel := context.WithCancel(ctx)
	d := &DeadLetter{ch: make(chan connector.Batch), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.stats, d.err = sink.Write(ctx, run, DeadLetterSchema(), d.ch)
	}()
	return d
}

// Put queues a failed row, sending a batch to the sink when enough are
// queued. It fails if the sink has failed or ctx ends.
func (d *DeadLetter) Put(ctx context.Context, f *Failure) error {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return errors.New("dead letter is closed")
	}
	d.pending = append(d.pending, []any{f.Step, f.Row, f.Err.Error(), f.Record})
	if len(d.pending) < deadLetterBatch {
		return nil
	}
	return d.send(ctx)
}

// send hands the queued rows to the sink.
func (d *DeadLetter) send(ctx context.Context) error {
	if len(d.pending) == 0 {
		return nil
	}
	b := connector.Batch{Schema: DeadLetterSchema(), Rows: d.pending}
	d.pending = nil
	select {
	case d.ch <- b:
		return nil
	case <-d.done:
		if d.err != nil {
			return d.err
		}
		return errors.New("dead-letter sink stopped early")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends the queued rows, commits the load and returns its stats.
func (d *DeadLetter) Close(ctx context.Context) (connector.WriteStats, error) {
	d.mu.Lock()
	already := d.closed
	d.closed = true
	d.mu.Unlock()
	if already {
		<-d.done
		return d.stats, d.err
	}
	if err := d.send(ctx); err != nil {
		d.cancel()
		<-d.done
		return connector.WriteStats{}, err
	}
	close(d.ch)
	<-d.done
	d.cancel()
	return d.stats, d.err
}

// Abort discards the load: nothing of it is committed.
func (d *DeadLetter) Abort() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	<-d.done
}

// recordJSON encodes a row as a JSON object in column order, for dead
// letters. Times are RFC 3339; NaN and infinities, which JSON lacks, are
// strings.
func recordJSON(schema connector.Schema, row []any) string {
	b := []byte{'{'}
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		name := "?"
		if i < len(schema) {
			name = schema[i].Name
		}
		b = appendJSON(b, name)
		b = append(b, ':')
		switch x := v.(type) {
		case nil:
			b = append(b, "null"...)
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				b = appendJSON(b, strconv.FormatFloat(x, 'g', -1, 64))
			} else {
				b = strconv.AppendFloat(b, x, 'g', -1, 64)
			}
		case bool:
			b = strconv.AppendBool(b, x)
		case time.Time:
			b = appendJSON(b, x.UTC().Format(time.RFC3339Nano))
		default:
			b = appendJSON(b, connector.FormatValue(x))
		}
	}
	return string(append(b, '}'))
}

// appendJSON appends s as a JSON string.
func appendJSON(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // A string always marshals.
	return append(b, q...)
}
