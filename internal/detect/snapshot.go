package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// The Ensemble's snapshot format. A snapshot is a header (a tag naming the
// detector and a version), the state in a fixed order, and a CRC-32C of
// everything before it, little-endian. Floating-point fields are stored as
// their exact bits, so that a restored Ensemble continues bit for bit like
// the original; counters are unsigned varints and timestamps signed
// varints. The configuration is part of the snapshot: a restored Ensemble
// runs with the configuration it learned under.
//
// A seasonal profile is stored as a kind byte (0 before the first sample,
// 1 once the profile exists) followed by the bits of the bins in use, so a
// snapshot of a series that has seen samples is about 3.2 KiB, of which
// 2.4 KiB are the daily and weekly profiles.
const (
	snapshotTag = 0xe5 // Ensemble
	// snapshotVersion is 2 since the Ensemble keeps its models' largest
	// errors; version 1 snapshots are rejected, and the engine starts such
	// series afresh.
	snapshotVersion = 2
	// snapshotMaxSize bounds the length of a valid snapshot; it is well
	// above the largest one and only guards the decoder.
	snapshotMaxSize = 8 << 10
)

// ErrSnapshot is wrapped by the errors UnmarshalBinary returns for data
// that is not a valid Ensemble snapshot: truncated, corrupt, of another
// detector or of a version this build does not read.
var ErrSnapshot = errors.New("invalid detector snapshot")

// snapshotCRC returns the CRC-32C of b. The standard library computes the
// Castagnoli table once and uses the CPU's instruction where there is one.
func snapshotCRC(b []byte) uint32 {
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *Ensemble) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, 3328))
}

// AppendBinary implements encoding.BinaryAppender: it appends the snapshot
// of d's full state to b. It never fails.
func (d *Ensemble) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, snapshotTag, snapshotVersion)
	b = appendConfig(b, &d.cfg)
	b = binary.AppendUvarint(b, uint64(d.n))
	b = binary.AppendVarint(b, d.first)
	b = binary.AppendVarint(b, d.last)
	b = appendF64(b, d.spread)
	for i := range d.tails {
		b = appendTail(b, &d.tails[i])
	}
	b = appendValueTail(b, &d.high)
	b = appendValueTail(b, &d.low)
	b = appendF64(b, d.rec.hi)
	b = appendF64(b, d.rec.lo)
	for _, m := range d.errMax {
		b = appendF64(b, m)
	}
	b = appendF64(b, d.alert.peak)
	b = appendBool(b, d.alert.on)
	b = binary.AppendUvarint(b, uint64(d.alert.quiet))
	c := &d.change
	b = appendF64(b, c.mean)
	b = appendF64(b, c.sq)
	b = binary.AppendUvarint(b, uint64(c.n))
	b = appendF64(b, c.pos)
	b = appendF64(b, c.neg)
	b = binary.AppendUvarint(b, uint64(c.run))
	for i := range d.runErr {
		b = appendF64(b, d.runErr[i])
		b = binary.AppendUvarint(b, uint64(d.runN[i]))
	}
	b = appendBool(b, d.suspect)
	for i := range d.base.models {
		m := &d.base.models[i]
		b = appendF64(b, m.value)
		b = appendF64(b, m.mae)
		b = binary.AppendUvarint(b, uint64(m.n))
	}
	for i := range d.base.sel {
		s := &d.base.sel[i]
		b = appendF64(b, s.seasonal)
		b = appendF64(b, s.flat)
		b = binary.AppendUvarint(b, uint64(s.n))
	}
	b = append(b, byte(d.base.season))
	for i := range d.base.profiles {
		b = appendProfile(b, &d.base.profiles[i])
	}
	for i := range d.before.tails {
		b = appendTail(b, &d.before.tails[i])
		b = appendF64(b, d.before.mae[i])
	}
	return binary.LittleEndian.AppendUint32(b, snapshotCRC(b[start:])), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler: it replaces d's
// state, configuration included, with the snapshot in data. On error d is
// left unchanged and the error wraps ErrSnapshot.
func (d *Ensemble) UnmarshalBinary(data []byte) error {
	if len(data) > snapshotMaxSize {
		return fmt.Errorf("%w: %d bytes, more than the %d an Ensemble snapshot can hold", ErrSnapshot, len(data), snapshotMaxSize)
	}
	if len(data) < 6 {
		return fmt.Errorf("%w: %d bytes is too short", ErrSnapshot, len(data))
	}
	if data[0] != snapshotTag {
		return fmt.Errorf("%w: tag %#x is not an Ensemble's", ErrSnapshot, data[0])
	}
	if data[1] != snapshotVersion {
		return fmt.Errorf("%w: version %d, this build reads version %d", ErrSnapshot, data[1], snapshotVersion)
	}
	body := data[:len(data)-4]
	if got, want := snapshotCRC(body), binary.LittleEndian.Uint32(data[len(body):]); got != want {
		return fmt.Errorf("%w: checksum %#08x, want %#08x", ErrSnapshot, got, want)
	}
	r := snapshotReader{b: body[2:]}
	cfg := r.config()
	if r.err != nil {
		return r.err
	}
	e, err := NewEnsemble(cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	e.n = r.u32("n")
	e.first = r.varint("first")
	e.last = r.varint("last")
	e.spread = r.f64("spread")
	for i := range e.tails {
		r.tail(&e.tails[i])
	}
	r.valueTail(&e.high)
	r.valueTail(&e.low)
	e.rec.hi = r.f64("record high")
	e.rec.lo = r.f64("record low")
	for i := range e.errMax {
		if e.errMax[i] = r.f64("largest error"); r.err == nil && e.errMax[i] < 0 {
			r.fail("largest error is %v", e.errMax[i])
		}
	}
	e.alert.peak = r.f64("alert peak")
	e.alert.on = r.bool("alert on")
	e.alert.quiet = r.int("alert quiet")
	c := &e.change
	c.mean = r.f64("cusum mean")
	c.sq = r.f64("cusum square")
	c.n = r.u32("cusum n")
	c.pos = r.f64("cusum positive")
	c.neg = r.f64("cusum negative")
	c.run = r.u32("cusum run")
	for i := range e.runErr {
		e.runErr[i] = r.f64("run error")
		e.runN[i] = r.u32("run errors")
	}
	e.suspect = r.bool("suspect")
	for i := range e.base.models {
		m := &e.base.models[i]
		m.value = r.f64("level value")
		m.mae = r.f64("level error")
		m.n = r.u32("level n")
	}
	for i := range e.base.sel {
		s := &e.base.sel[i]
		s.seasonal = r.f64("seasonal error")
		s.flat = r.f64("flat error")
		s.n = r.u32("selection n")
	}
	e.base.season = Season(r.byte("season"))
	if r.err == nil && e.base.season > SeasonWeekly {
		r.fail("season %d is unknown", e.base.season)
	}
	r.profile(&e.base.profiles[0], SeasonDaily, e.n > 0)
	r.profile(&e.base.profiles[1], SeasonWeekly, e.n > 0)
	for i := range e.before.tails {
		r.tail(&e.before.tails[i])
		e.before.mae[i] = r.f64("saved level error")
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the state", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	*d = *e
	return nil
}

func appendF64(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendConfig(b []byte, c *Config) []byte {
	for _, v := range [...]float64{c.FastRate, c.SlowRate, c.SeasonRate, c.ScaleRate, c.SelectRate,
		c.ExcessRate, c.ValueStep, c.NoiseFloor, c.Clip, c.ChangeConfirm, c.RangeHalfLife,
		c.PeakHalfLife, c.Damp} {
		b = appendF64(b, v)
	}
	b = binary.AppendUvarint(b, uint64(c.WarmUp))
	return binary.AppendUvarint(b, uint64(c.Hold))
}

func appendTail(b []byte, t *tail) []byte {
	b = appendF64(b, t.u)
	b = appendF64(b, t.excess)
	b = binary.AppendUvarint(b, uint64(t.k))
	b = appendF64(b, t.target)
	b = appendF64(b, t.bound)
	return appendF64(b, t.down)
}

func appendValueTail(b []byte, t *valueTail) []byte {
	b = appendF64(b, t.u)
	b = appendF64(b, t.mean)
	b = appendF64(b, t.sq)
	return binary.AppendUvarint(b, uint64(t.k))
}

// appendProfile appends p's kind and, if it exists, the bits of its bins in
// use. Only the size tells the kinds apart: the header of an existing
// profile is implied by its position in the baseline.
func appendProfile(b []byte, p *profile) []byte {
	if p.size == 0 {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, v := range p.bins[:p.size] {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// snapshotReader reads the fields of a snapshot in order. The first error
// sticks: later reads return zero values, so a decoder reads every field
// and checks the error once.
type snapshotReader struct {
	b   []byte
	err error
}

func (r *snapshotReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrSnapshot, fmt.Sprintf(format, args...))
	}
}

// need reports whether n more bytes can be read, failing if not.
func (r *snapshotReader) need(n int, field string) bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < n {
		r.fail("truncated at %s", field)
		return false
	}
	return true
}

func (r *snapshotReader) byte(field string) byte {
	if !r.need(1, field) {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *snapshotReader) bool(field string) bool {
	switch v := r.byte(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("%s is %d, want 0 or 1", field, v)
		return false
	}
}

// f64 reads a float64. Values are clamped to ±maxValue before they are
// learned, so every statistic is finite, and a NaN or an infinity in a
// snapshot means it is corrupt.
func (r *snapshotReader) f64(field string) float64 {
	v := r.f64Bits(field)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail("%s is %v", field, v)
		return 0
	}
	return v
}

// f64Bits reads a float64 whatever its value.
func (r *snapshotReader) f64Bits(field string) float64 {
	if !r.need(8, field) {
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *snapshotReader) uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong varint at %s", field)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) varint(field string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong varint at %s", field)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) u32(field string) uint32 {
	v := r.uvarint(field)
	if v > math.MaxUint32 {
		r.fail("%s is %d, beyond 32 bits", field, v)
		return 0
	}
	return uint32(v)
}

func (r *snapshotReader) int(field string) int {
	v := r.uvarint(field)
	if v > math.MaxInt32 {
		r.fail("%s is %d, beyond 31 bits", field, v)
		return 0
	}
	return int(v)
}

func (r *snapshotReader) config() Config {
	var c Config
	for _, p := range [...]*float64{&c.FastRate, &c.SlowRate, &c.SeasonRate, &c.ScaleRate, &c.SelectRate,
		&c.ExcessRate, &c.ValueStep, &c.NoiseFloor, &c.Clip, &c.ChangeConfirm, &c.RangeHalfLife,
		&c.PeakHalfLife, &c.Damp} {
		*p = r.f64("configuration")
	}
	c.WarmUp = r.int("WarmUp")
	c.Hold = r.int("Hold")
	return c
}

func (r *snapshotReader) tail(t *tail) {
	t.u = r.f64("tail threshold")
	t.excess = r.f64("tail excess")
	t.k = r.u32("tail exceedances")
	t.target = r.f64("tail target")
	// The bound is an exponential that can overflow for a series whose
	// errors have been astronomically large; it is then +Inf.
	if t.bound = r.f64Bits("tail bound"); math.IsNaN(t.bound) || t.bound < 0 {
		r.fail("tail bound is %v", t.bound)
	}
	t.down = r.f64("tail step")
}

func (r *snapshotReader) valueTail(t *valueTail) {
	t.u = r.f64("value tail threshold")
	t.mean = r.f64("value tail excess")
	t.sq = r.f64("value tail square")
	t.k = r.u32("value tail exceedances")
}

// profile reads the profile of season s into p; started says whether the
// Ensemble has seen a sample, which is when its profiles exist.
func (r *snapshotReader) profile(p *profile, s Season, started bool) {
	switch kind := r.byte("profile"); {
	case r.err != nil:
	case kind > 1:
		r.fail("%s profile kind %d is unknown", s, kind)
	case (kind == 1) != started:
		r.fail("%s profile kind %d contradicts the sample count", s, kind)
	case kind == 1:
		*p = newProfile(s)
		if !r.need(4*p.size, "profile bins") {
			return
		}
		for i := range p.bins[:p.size] {
			p.bins[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:]))
		}
		r.b = r.b[4*p.size:]
	}
}
