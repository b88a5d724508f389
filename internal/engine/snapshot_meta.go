package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"strconv"
	"time"

	store "github.com/vigil-aiops/vigil/internal/state"
)

// Meta is the key/value store engine snapshots are saved in; state.Meta
// implements it. Get and Delete return an error wrapping state.ErrNotFound
// for a key that does not exist.
type Meta interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// snapshotChunk is the largest value SaveTo puts under one key: the state
// store takes values of a few megabytes. A learned series takes about
// 3 KiB before compression, so a chunk holds on the order of a thousand
// series and 200,000 series take a few hundred chunks.
const snapshotChunk = 1 << 20

// manifest is the value under a snapshot's key: which chunks hold it. The
// chunks of generation g are under key/g/0, key/g/1, …; the manifest is
// written after them, so a save that fails half-way leaves the previous
// snapshot whole.
type manifest struct {
	Version    int    `json:"version"`
	Generation uint64 `json:"generation"`
	Chunks     int    `json:"chunks"`
	Bytes      int64  `json:"bytes"`
	CRC32C     uint32 `json:"crc32c"`
	Series     int    `json:"series"`
	SavedAt    string `json:"saved_at"`
}

func chunkKey(key string, gen uint64, i int) string {
	return key + "/" + strconv.FormatUint(gen, 10) + "/" + strconv.Itoa(i)
}

// readManifest returns the manifest under key; found is false if there is
// none.
func readManifest(ctx context.Context, meta Meta, key string) (m manifest, found bool, err error) {
	v, err := meta.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(v, &m); err != nil {
		return m, true, fmt.Errorf("%w: manifest %q: %w", ErrSnapshot, key, err)
	}
	if m.Version != 1 || m.Chunks < 0 || m.Bytes < 0 {
		return m, true, fmt.Errorf("%w: manifest %q: version %d, %d chunks, %d bytes", ErrSnapshot, key, m.Version, m.Chunks, m.Bytes)
	}
	return m, true, nil
}

// chunkWriter puts what is written to it in chunks of snapshotChunk bytes.
type chunkWriter struct {
	ctx  context.Context
	meta Meta
	key  string
	gen  uint64
	buf  []byte
	n    int // chunks put
	size int64
	crc  uint32
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.crc = crc32.Update(w.crc, crc32.MakeTable(crc32.Castagnoli), p)
	w.size += int64(len(p))
	written := len(p)
	for len(p) > 0 {
		k := min(len(p), snapshotChunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == snapshotChunk {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return written, nil
}

func (w *chunkWriter) flush() error {
	if err := w.meta.Put(w.ctx, chunkKey(w.key, w.gen, w.n), w.buf); err != nil {
		return err
	}
	w.n++
	w.buf = w.buf[:0]
	return nil
}

// SaveTo writes the engine's snapshot to meta under key, in chunks of at
// most 1 MiB under key/<generation>/<i> and a manifest under key, then
// deletes the chunks of the snapshot it replaces. It holds one chunk in
// memory at a time.
func (e *Engine) SaveTo(ctx context.Context, meta Meta, key string) error {
	old, found, err := readManifest(ctx, meta, key)
	if err != nil && !errors.Is(err, ErrSnapshot) {
		return fmt.Errorf("save engine snapshot: %w", err)
	}
	// A manifest that cannot be read is replaced; its chunks are lost.
	replaces := found && err == nil
	gen := uint64(1)
	if found {
		gen = old.Generation + 1
	}
	w := &chunkWriter{ctx: ctx, meta: meta, key: key, gen: gen}
	series := e.Series() + e.Pending()
	if err := e.Snapshot(w); err != nil {
		return fmt.Errorf("save engine snapshot: %w", err)
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			return fmt.Errorf("save engine snapshot: %w", err)
		}
	}
	m := manifest{Version: 1, Generation: gen, Chunks: w.n, Bytes: w.size, CRC32C: w.crc, Series: series,
		SavedAt: time.Now().UTC().Format(time.RFC3339)}
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("save engine snapshot: %w", err)
	}
	if err := meta.Put(ctx, key, v); err != nil {
		return fmt.Errorf("save engine snapshot: %w", err)
	}
	// The new snapshot is in place; what remains is garbage: the previous
	// generation and chunks of this one left by a save that failed.
	var errs []error
	if replaces {
		for i := range old.Chunks {
			if err := meta.Delete(ctx, chunkKey(key, old.Generation, i)); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	for i := m.Chunks; ; i++ {
		err := meta.Delete(ctx, chunkKey(key, gen, i))
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("save engine snapshot: delete old chunks: %w", err)
	}
	return nil
}

// chunkReader reads the chunks of a snapshot in order.
type chunkReader struct {
	ctx  context.Context
	meta Meta
	key  string
	m    manifest
	next int
	buf  []byte
	size int64
	crc  uint32
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next == r.m.Chunks {
			if r.size != r.m.Bytes || r.crc != r.m.CRC32C {
				return 0, fmt.Errorf("%w: %d bytes with checksum %#08x, the manifest says %d with %#08x",
					ErrSnapshot, r.size, r.crc, r.m.Bytes, r.m.CRC32C)
			}
			return 0, io.EOF
		}
		v, err := r.meta.Get(r.ctx, chunkKey(r.key, r.m.Generation, r.next))
		if err != nil {
			return 0, fmt.Errorf("chunk %d of %d: %w", r.next, r.m.Chunks, err)
		}
		r.next++
		r.size += int64(len(v))
		r.crc = crc32.Update(r.crc, crc32.MakeTable(crc32.Castagnoli), v)
		r.buf = v
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// LoadFrom restores the snapshot saved under key by SaveTo (see Restore).
// It returns false, and no error, if there is none. On error the engine is
// unchanged.
func (e *Engine) LoadFrom(ctx context.Context, meta Meta, key string) (bool, error) {
	m, found, err := readManifest(ctx, meta, key)
	if err != nil {
		return found, fmt.Errorf("load engine snapshot: %w", err)
	}
	if !found {
		return false, nil
	}
	if err := e.Restore(&chunkReader{ctx: ctx, meta: meta, key: key, m: m}); err != nil {
		return true, fmt.Errorf("load engine snapshot %q: %w", key, err)
	}
	return true, nil
}

// Snapshotter keeps an engine's detector state in a Meta store across
// restarts: Load restores it at start, Run saves it periodically and once
// more when its context ends.
type Snapshotter struct {
	e      *Engine
	meta   Meta
	key    string
	every  time.Duration
	logger *slog.Logger
}

// NewSnapshotter returns a Snapshotter that saves e under key in meta every
// interval. A nil logger logs nothing.
func NewSnapshotter(e *Engine, meta Meta, key string, every time.Duration, logger *slog.Logger) *Snapshotter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Snapshotter{e: e, meta: meta, key: key, every: every, logger: logger}
}

// Load restores the saved snapshot, if any. A snapshot that cannot be read
// is logged and returned; the engine then starts empty, and the caller may
// go on: detector state is worth keeping but not worth refusing to start.
func (s *Snapshotter) Load(ctx context.Context) error {
	start := time.Now()
	if _, err := s.e.LoadTasks(ctx, s.meta, s.key+"/tasks"); err != nil {
		s.logger.Error("task-run detectors not restored; they start from scratch", "err", err)
	}
	found, err := s.e.LoadFrom(ctx, s.meta, s.key)
	switch {
	case err != nil:
		s.logger.Error("engine snapshot not restored; detectors start from scratch", "key", s.key, "err", err)
		return err
	case !found:
		s.logger.Info("no engine snapshot to restore; detectors start from scratch", "key", s.key)
	default:
		s.logger.Info("restored engine snapshot", "key", s.key, "series", s.e.Pending(), "duration", time.Since(start))
	}
	return nil
}

// Run saves the snapshot every interval until ctx ends, then once more
// with a minute to spare, so that a clean shutdown keeps the latest state.
// Stop the engine's input first for that last snapshot to be the latest.
// Failed saves are logged; Run returns nil.
func (s *Snapshotter) Run(ctx context.Context) error {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			s.save(final)
			return nil
		case <-t.C:
			s.save(ctx)
		}
	}
}

func (s *Snapshotter) save(ctx context.Context) {
	start := time.Now()
	if err := s.e.SaveTo(ctx, s.meta, s.key); err != nil {
		s.logger.Error("save engine snapshot", "key", s.key, "err", err)
		return
	}
	if err := s.e.SaveTasks(ctx, s.meta, s.key+"/tasks"); err != nil {
		s.logger.Error("save task-run detectors", "err", err)
	}
	s.logger.Debug("saved engine snapshot", "key", s.key, "series", s.e.Series()+s.e.Pending(), "duration", time.Since(start))
}
