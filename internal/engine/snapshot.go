package engine

import (
	"bufio"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-aiops/vigil/internal/series"
)

// The engine's snapshot format: the magic string, a version byte and a
// zstd stream (with its content checksum) of series records, each
//
//	1, labels (uvarint count, then uvarint-prefixed names and values in
//	name order), lastT (varint), alerting (byte), writtenT (varint),
//	written (float64 bits), detector state (uvarint-prefixed),
//
// closed by the byte 0 and the uvarint number of records. Series are keyed
// by their labels, not by their TSDB refs, which change across restarts.
// The detector state is what the detector's MarshalBinary returns.
const (
	snapshotMagic   = "VIGILENG"
	snapshotVersion = 1
)

// Bounds the decoder enforces on a snapshot, far above what a valid one
// holds, so that a corrupt snapshot cannot make Restore allocate without
// limit.
const (
	maxSnapshotLabels     = 1024
	maxSnapshotLabelBytes = 64 << 10
	maxSnapshotStateBytes = 1 << 20
	maxSnapshotWindow     = 8 << 20 // zstd window, and so decoder memory
)

// snapshotBatch is the number of series Snapshot encodes under one lock of
// a stripe: about 1.5 MiB of state and a millisecond of encoding.
const snapshotBatch = 512

// ErrSnapshot is wrapped by the errors Restore returns for input that is
// not a valid engine snapshot.
var ErrSnapshot = errors.New("invalid engine snapshot")

// restored holds detector states restored from a snapshot, by the
// canonical key of their series' labels, until a sample of the series
// arrives under its new ref.
type restored struct {
	mu       sync.Mutex
	byLabels map[string]*restoredState
	n        atomic.Int64 // len(byLabels), read without the lock
}

type restoredState struct {
	st *state
	// deadline is when the state is dropped unclaimed, in Unix
	// milliseconds; 0 until the first Reclaim after the restore sets it.
	deadline int64
}

// labelsKey returns the canonical key of a label set: each name and value
// followed by the byte 0xff, which valid UTF-8 never contains, in name order.
func labelsKey(ls series.Labels) string {
	n := 0
	ls.Range(func(name, value string) { n += len(name) + len(value) + 2 })
	b := make([]byte, 0, n)
	ls.Range(func(name, value string) {
		b = append(b, name...)
		b = append(b, 0xff)
		b = append(b, value...)
		b = append(b, 0xff)
	})
	return string(b)
}

// Pending returns how many restored states wait for their series.
func (e *Engine) Pending() int { return int(e.restored.n.Load()) }

// claim returns the restored state of the series with labels ls and
// forgets it, or nil.
func (e *Engine) claim(ls series.Labels) *state {
	if e.restored.n.Load() == 0 {
		return nil
	}
	key := labelsKey(ls)
	r := &e.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.byLabels[key]
	if rs == nil {
		return nil
	}
	delete(r.byLabels, key)
	r.n.Add(-1)
	e.m.claimed.Inc()
	return rs.st
}

// expire drops the restored states whose deadline has passed at now and
// gives the others a deadline IdleAfter from now if they have none.
func (e *Engine) expire(now time.Time) {
	if e.restored.n.Load() == 0 {
		return
	}
	t := now.UnixMilli()
	r := &e.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for key, rs := range r.byLabels {
		switch {
		case rs.deadline == 0:
			rs.deadline = now.Add(e.opts.IdleAfter).UnixMilli()
		case rs.deadline < t:
			delete(r.byLabels, key)
			n++
		}
	}
	r.n.Add(int64(-n))
	e.m.expired.Add(float64(n))
	if n > 0 {
		e.opts.Logger.Info("dropped restored detector states whose series did not report", "series", n, "idle_after", e.opts.IdleAfter)
	}
}

// Snapshot writes the detector state of every series, those restored and
// not yet claimed included, to w. Series whose detector cannot be saved
// (it implements neither encoding.BinaryAppender nor
// encoding.BinaryMarshaler) are left out. Observation goes on meanwhile:
// each stripe is locked only while its states are encoded, so the snapshot
// is consistent per series, not across series.
func (e *Engine) Snapshot(w io.Writer) error {
	if _, err := w.Write(append([]byte(snapshotMagic), snapshotVersion)); err != nil {
		return fmt.Errorf("write engine snapshot: %w", err)
	}
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
	if err != nil {
		return fmt.Errorf("write engine snapshot: %w", err)
	}
	var buf []byte
	records, skipped := 0, 0
	flush := func() error {
		_, err := zw.Write(buf)
		buf = buf[:0]
		return err
	}
	add := func(key string, st *state) {
		var ok bool
		if buf, ok = appendRecord(buf, key, st); ok {
			records++
		} else {
			skipped++
		}
	}
	// Restored states go first: one that its series takes up meanwhile is
	// then written twice rather than not at all, and the later, live
	// record wins on restore.
	rs := &e.restored
	rs.mu.Lock()
	keys := make([]string, 0, len(rs.byLabels))
	for key := range rs.byLabels {
		keys = append(keys, key)
	}
	rs.mu.Unlock()
	for len(keys) > 0 {
		batch := keys[:min(len(keys), snapshotBatch)]
		keys = keys[len(batch):]
		rs.mu.Lock()
		for _, key := range batch {
			if r := rs.byLabels[key]; r != nil {
				add(key, r.st)
			}
		}
		rs.mu.Unlock()
		if err := flush(); err != nil {
			zw.Close()
			return fmt.Errorf("write engine snapshot: %w", err)
		}
	}
	var refs []uint64
	for i := range e.stripes {
		s := &e.stripes[i]
		s.mu.Lock()
		refs = refs[:0]
		for ref := range s.series {
			refs = append(refs, ref)
		}
		s.mu.Unlock()
		// The states are encoded a batch at a time, so that neither the
		// lock is held nor the buffer grows for long.
		for len(refs) > 0 {
			batch := refs[:min(len(refs), snapshotBatch)]
			refs = refs[len(batch):]
			s.mu.Lock()
			for _, ref := range batch {
				if st := s.series[ref]; st != nil {
					add("", st)
				}
			}
			s.mu.Unlock()
			if err := flush(); err != nil {
				zw.Close()
				return fmt.Errorf("write engine snapshot: %w", err)
			}
		}
	}
	buf = append(buf, 0)
	buf = binary.AppendUvarint(buf, uint64(records))
	if err := flush(); err != nil {
		zw.Close()
		return fmt.Errorf("write engine snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write engine snapshot: %w", err)
	}
	if skipped > 0 {
		e.opts.Logger.Warn("engine snapshot leaves out series whose detector cannot be saved", "series", skipped)
	}
	return nil
}

// appendRecord appends the record of st to b. The labels are those of st,
// or, for a restored state not yet claimed, its key. It reports false, and
// appends nothing, if the detector cannot be saved.
func appendRecord(b []byte, key string, st *state) ([]byte, bool) {
	start := len(b)
	b = append(b, 1)
	if key != "" {
		b = appendKeyLabels(b, key)
	} else {
		b = binary.AppendUvarint(b, uint64(st.labels.Len()))
		st.labels.Range(func(name, value string) {
			b = appendString(b, name)
			b = appendString(b, value)
		})
	}
	b = binary.AppendVarint(b, st.lastT)
	if st.alerting {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendVarint(b, st.writtenT)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.written))
	// The state is appended first, then moved up to make room for its
	// length, which precedes it, once the length is known.
	var lenBuf [binary.MaxVarintLen64]byte
	at := len(b)
	var err error
	switch d := st.d.(type) {
	case encoding.BinaryAppender:
		b, err = d.AppendBinary(b)
	case encoding.BinaryMarshaler:
		var p []byte
		if p, err = d.MarshalBinary(); err == nil {
			b = append(b, p...)
		}
	default:
		return b[:start], false
	}
	if err != nil {
		return b[:start], false
	}
	n := len(b) - at
	l := binary.PutUvarint(lenBuf[:], uint64(n))
	b = append(b, lenBuf[:l]...)
	copy(b[at+l:], b[at:at+n])
	copy(b[at:], lenBuf[:l])
	return b, true
}

// appendKeyLabels appends the labels encoded in a key made by labelsKey.
func appendKeyLabels(b []byte, key string) []byte {
	var parts []string
	for len(key) > 0 {
		i := 0
		for key[i] != 0xff {
			i++
		}
		parts = append(parts, key[:i])
		key = key[i+1:]
	}
	b = binary.AppendUvarint(b, uint64(len(parts)/2))
	for _, p := range parts {
		b = appendString(b, p)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Restore reads a snapshot written by Snapshot and keeps its detector
// states until their series report again: the first sample of a series
// with the same labels takes up the state, whatever its new ref. States
// that no series takes up are dropped by Reclaim, IdleAfter after the
// first Reclaim following the restore. At most MaxSeries states, minus
// those the engine already holds, are kept; the others are dropped and
// logged.
//
// The snapshot is read and checked whole before any state is kept: on
// error, which wraps ErrSnapshot for bad data, the engine is unchanged.
// Restore is meant to run before the engine observes its first sample; a
// state restored for a series the engine already observes is never taken
// up.
func (e *Engine) Restore(r io.Reader) error {
	states, err := e.readSnapshot(r)
	if err != nil {
		return fmt.Errorf("restore engine snapshot: %w", err)
	}
	rs := &e.restored
	rs.mu.Lock()
	defer rs.mu.Unlock()
	kept, dropped := 0, 0
	for key, st := range states {
		if _, ok := rs.byLabels[key]; !ok {
			if e.opts.MaxSeries > 0 && e.Series()+int(rs.n.Load()) >= e.opts.MaxSeries {
				dropped++
				continue
			}
			rs.n.Add(1)
		}
		rs.byLabels[key] = &restoredState{st: st}
		kept++
	}
	if dropped > 0 {
		e.opts.Logger.Warn("engine snapshot holds more series than max_series; dropped the rest", "kept", kept, "dropped", dropped)
	}
	return nil
}

// readSnapshot decodes a whole snapshot into states by label key.
func (e *Engine) readSnapshot(r io.Reader) (map[string]*state, error) {
	head := make([]byte, len(snapshotMagic)+1)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrSnapshot, err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return nil, fmt.Errorf("%w: not an engine snapshot", ErrSnapshot)
	}
	if v := head[len(snapshotMagic)]; v != snapshotVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrSnapshot, v, snapshotVersion)
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxSnapshotWindow),
		zstd.WithDecoderMaxMemory(maxSnapshotWindow))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	defer zr.Close()
	br := bufio.NewReader(zr)
	states := map[string]*state{}
	records := 0
	var buf []byte
	for {
		tag, err := br.ReadByte()
		if err != nil {
			return nil, snapshotErr("record", err)
		}
		if tag == 0 {
			break
		}
		if tag != 1 {
			return nil, fmt.Errorf("%w: record %d has tag %d", ErrSnapshot, records, tag)
		}
		key, st, err := e.readRecord(br, &buf)
		if err != nil {
			return nil, fmt.Errorf("%w (record %d)", err, records)
		}
		states[key] = st // A later record of a series is newer (see Snapshot).
		records++
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, snapshotErr("record count", err)
	}
	if n != uint64(records) {
		return nil, fmt.Errorf("%w: %d records, the trailer says %d", ErrSnapshot, records, n)
	}
	// Reading to the end makes the decoder check the content checksum.
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return nil, fmt.Errorf("%w: data after the records", ErrSnapshot)
		}
		return nil, snapshotErr("end", err)
	}
	return states, nil
}

// snapshotErr wraps an error met while reading the part of a snapshot
// named what.
func snapshotErr(what string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %s: %w", ErrSnapshot, what, err)
}

// readRecord reads one series record after its tag; buf is scratch space.
func (e *Engine) readRecord(br *bufio.Reader, buf *[]byte) (string, *state, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", nil, snapshotErr("labels", err)
	}
	if n == 0 || n > maxSnapshotLabels {
		return "", nil, fmt.Errorf("%w: %d labels", ErrSnapshot, n)
	}
	var key []byte
	prev := ""
	for i := range 2 * n {
		s, err := readString(br, buf)
		if err != nil {
			return "", nil, err
		}
		if i%2 == 0 {
			if i > 0 && s <= prev {
				return "", nil, fmt.Errorf("%w: labels out of order", ErrSnapshot)
			}
			prev = s
		}
		for j := range len(s) {
			if s[j] == 0xff {
				return "", nil, fmt.Errorf("%w: label holds the byte 0xff", ErrSnapshot)
			}
		}
		key = append(key, s...)
		key = append(key, 0xff)
	}
	st := &state{}
	if st.lastT, err = binary.ReadVarint(br); err != nil {
		return "", nil, snapshotErr("last sample time", err)
	}
	alerting, err := br.ReadByte()
	if err != nil {
		return "", nil, snapshotErr("alert state", err)
	}
	if alerting > 1 {
		return "", nil, fmt.Errorf("%w: alert state %d", ErrSnapshot, alerting)
	}
	st.alerting = alerting == 1
	if st.writtenT, err = binary.ReadVarint(br); err != nil {
		return "", nil, snapshotErr("written time", err)
	}
	var w [8]byte
	if _, err := io.ReadFull(br, w[:]); err != nil {
		return "", nil, snapshotErr("written score", err)
	}
	st.written = math.Float64frombits(binary.LittleEndian.Uint64(w[:]))
	n, err = binary.ReadUvarint(br)
	if err != nil {
		return "", nil, snapshotErr("detector state", err)
	}
	if n > maxSnapshotStateBytes {
		return "", nil, fmt.Errorf("%w: detector state of %d bytes", ErrSnapshot, n)
	}
	*buf = slices.Grow((*buf)[:0], int(n))[:n]
	if _, err := io.ReadFull(br, *buf); err != nil {
		return "", nil, snapshotErr("detector state", err)
	}
	d, err := e.opts.NewDetector()
	if err != nil {
		return "", nil, fmt.Errorf("new detector: %w", err)
	}
	u, ok := d.(encoding.BinaryUnmarshaler)
	if !ok {
		return "", nil, fmt.Errorf("the engine's detector %T cannot be restored from a snapshot", d)
	}
	if err := u.UnmarshalBinary(*buf); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	st.d = d
	return string(key), st, nil
}

// readString reads a uvarint-prefixed string.
func readString(br *bufio.Reader, buf *[]byte) (string, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", snapshotErr("label", err)
	}
	if n > maxSnapshotLabelBytes {
		return "", fmt.Errorf("%w: label of %d bytes", ErrSnapshot, n)
	}
	*buf = slices.Grow((*buf)[:0], int(n))[:n]
	if _, err := io.ReadFull(br, *buf); err != nil {
		return "", snapshotErr("label", err)
	}
	return string(*buf), nil
}
