package connector

// defaultBatchSize is how many rows sources put in a batch when the settings
// do not say.
const defaultBatchSize = 1024

// batcher collects rows into batches of a fixed size and emits each when it
// is full. Rows are carved from one allocation per batch.
type batcher struct {
	schema  Schema
	size    int
	emit    func(Batch) error
	cells   []any
	rows    [][]any
	emitted bool
}

func newBatcher(schema Schema, size int, emit func(Batch) error) *batcher {
	return &batcher{schema: schema, size: size, emit: emit}
}

// next returns a zeroed row to fill, which belongs to the current batch.
func (b *batcher) next() []any {
	w := len(b.schema)
	if b.rows == nil {
		b.cells = make([]any, b.size*w)
		b.rows = make([][]any, 0, b.size)
	}
	n := len(b.rows)
	row := b.cells[n*w : (n+1)*w : (n+1)*w]
	b.rows = append(b.rows, row)
	return row
}

// undo takes back the row next returned last, when it could not be filled.
func (b *batcher) undo() {
	n := len(b.rows) - 1
	clear(b.rows[n])
	b.rows = b.rows[:n]
}

// done emits the batch if it is full. It is called after each row is filled.
func (b *batcher) done() error {
	if len(b.rows) < b.size {
		return nil
	}
	return b.flush()
}

// flush emits the rows collected so far, if any.
func (b *batcher) flush() error {
	if len(b.rows) == 0 {
		return nil
	}
	batch := Batch{Schema: b.schema, Rows: b.rows}
	b.rows, b.cells = nil, nil
	b.emitted = true
	return b.emit(batch)
}

// finish emits the last rows, or an empty batch if no batch was emitted, so
// that the receiver learns the schema.
func (b *batcher) finish() error {
	if err := b.flush(); err != nil || b.emitted {
		return err
	}
	b.emitted = true
	return b.emit(Batch{Schema: b.schema})
}

// rowFailed hands a bad row to opts.OnRowError, or returns it as the read's
// error when there is no handler.
func (o ReadOptions) rowFailed(err *RowError) error {
	if o.OnRowError == nil {
		return err
	}
	return o.OnRowError(err)
}
