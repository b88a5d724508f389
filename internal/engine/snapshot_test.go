package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-aiops/vigil/internal/series"
	store "github.com/vigil-aiops/vigil/internal/state"
)

// snapT0 is the start of the test series.
var snapT0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func newTestEngine(t *testing.T, sk SignalSink, logger *slog.Logger) *Engine {
	t.Helper()
	return New(Options{Signals: sk, MaxSeries: 10_000, IdleAfter: time.Hour, Logger: logger, Registerer: prometheus.NewRegistry()})
}

// daily returns the value of a series with a daily cycle and noise at
// minute i.
func daily(r *rand.Rand, i int) float64 {
	hour := float64(i%(24*60)) / 60
	return 1000 + 400*math.Sin(hour/24*2*math.Pi) + 20*r.NormFloat64()
}

// feed observes minutes [from, to) of the series with labels ls under ref,
// one sample a minute, with values from v.
func feed(e *Engine, ref uint64, ls series.Labels, from, to int, v func(int) float64) {
	for i := from; i < to; i++ {
		e.Observe([]series.Sample{{Ref: ref, Labels: ls, T: snapT0.Add(time.Duration(i) * time.Minute).UnixMilli(), V: v(i)}})
	}
}

func rows(p string) series.Labels {
	return series.FromMap(map[string]string{"__name__": "rows", "pipeline": p})
}

// TestRestartKeepsBaselines learns a series for three days, snapshots the
// engine and restores it into a new one under new refs: the restored
// engine must continue exactly like the original (same signals), flag a
// spike ten minutes after the restart and stay quiet on normal data, while
// an engine started from scratch is still warming up and misses it.
func TestRestartKeepsBaselines(t *testing.T) {
	const learned, spike, end = 3 * 24 * 60, 3*24*60 + 10, 3*24*60 + 120
	values := make([]float64, end)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range values {
		values[i] = daily(r, i)
	}
	values[spike] *= 2
	v := func(i int) float64 { return values[i] }

	orig := &sink{}
	a := newTestEngine(t, orig, nil)
	feed(a, 7, rows("orders"), 0, learned, v)
	feed(a, 8, rows("billing"), 0, 100, v)
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot of %d series: %d bytes", a.Series(), buf.Len())

	restoredSink := &sink{}
	b := newTestEngine(t, restoredSink, nil)
	if err := b.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if b.Series() != 0 || b.Pending() != 2 {
		t.Fatalf("after the restore: %d series, %d pending; want 0 and 2", b.Series(), b.Pending())
	}
	fresh := &sink{}
	c := newTestEngine(t, fresh, nil)

	orig.signals = nil
	feed(a, 7, rows("orders"), learned, end, v)
	feed(b, 1007, rows("orders"), learned, end, v) // A new ref after the restart.
	feed(c, 1007, rows("orders"), learned, end, v)
	if b.Series() != 1 || b.Pending() != 1 {
		t.Fatalf("after the series reported: %d series, %d pending; want 1 and 1", b.Series(), b.Pending())
	}

	if len(restoredSink.signals) != len(orig.signals) {
		t.Fatalf("restored engine: %d signals, original: %d", len(restoredSink.signals), len(orig.signals))
	}
	for i := range orig.signals {
		if o, r := orig.signals[i], restoredSink.signals[i]; o.At != r.At || o.Score != r.Score || o.Kind != r.Kind || o.Expected != r.Expected {
			t.Fatalf("signal %d: original %+v, restored %+v", i, o, r)
		}
	}
	spikeAt := snapT0.Add(spike * time.Minute)
	caught := func(sk *sink) bool {
		for _, sg := range sk.signals {
			if sg.Kind == KindAnomaly && sg.At.Equal(spikeAt) {
				return true
			}
		}
		return false
	}
	if !caught(restoredSink) {
		t.Fatalf("the restored engine missed the spike 10 minutes after the restart; signals: %+v", restoredSink.signals)
	}
	for _, sg := range restoredSink.signals {
		if sg.At.Before(spikeAt) {
			t.Fatalf("the restored engine alerted on normal data: %+v", sg)
		}
	}
	if caught(fresh) {
		t.Fatal("an engine without the snapshot caught the spike: the test shows nothing")
	}
}

// TestRestoredStatesAreReclaimed checks that restored states wait for
// their series for IdleAfter after the first Reclaim and are then dropped,
// that a snapshot keeps the states still waiting, and that waiting states
// count against MaxSeries.
func TestRestoredStatesAreReclaimed(t *testing.T) {
	a := newTestEngine(t, nil, nil)
	one := func(int) float64 { return 1 }
	for i := range 3 {
		feed(a, uint64(i+1), rows("p"+strconv.Itoa(i)), 0, 50, one)
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}

	b := newTestEngine(t, nil, nil)
	if err := b.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	feed(b, 100, rows("p0"), 50, 51, one)
	now := snapT0.Add(time.Hour)
	b.Reclaim(now) // Starts the clock of the two states still waiting.
	if b.Pending() != 2 || b.Series() != 1 {
		t.Fatalf("%d pending, %d series; want 2 and 1", b.Pending(), b.Series())
	}
	// A snapshot taken now keeps the waiting states.
	var again bytes.Buffer
	if err := b.Snapshot(&again); err != nil {
		t.Fatal(err)
	}
	c := newTestEngine(t, nil, nil)
	if err := c.Restore(&again); err != nil || c.Pending() != 3 {
		t.Fatalf("restore of a snapshot with waiting states: %v, %d pending; want 3", err, c.Pending())
	}

	feed(b, 101, rows("p1"), 50, 51, one)
	b.Reclaim(now.Add(time.Hour - time.Millisecond))
	if b.Pending() != 1 {
		t.Fatalf("%d pending before IdleAfter has passed, want 1", b.Pending())
	}
	b.Reclaim(now.Add(time.Hour + time.Millisecond))
	if b.Pending() != 0 {
		t.Fatalf("%d pending after IdleAfter, want 0", b.Pending())
	}
	// The live series were reclaimed by then too; p2 starts afresh.
	feed(b, 102, rows("p2"), 50, 51, one)
	if b.Series() != 1 || b.Pending() != 0 {
		t.Fatalf("%d series, %d pending; want 1 and 0", b.Series(), b.Pending())
	}
	if got := testutil.ToFloat64(b.m.claimed); got != 2 {
		t.Fatalf("%v states claimed, want 2", got)
	}
	if got := testutil.ToFloat64(b.m.expired); got != 1 {
		t.Fatalf("%v states expired, want 1", got)
	}

	// Waiting states count against MaxSeries, both when restoring and when
	// new series arrive.
	d := New(Options{MaxSeries: 2, IdleAfter: time.Hour, Registerer: prometheus.NewRegistry()})
	if err := d.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	feed(d, 1, rows("new"), 0, 1, one)
	if d.Pending() != 2 || d.Series() != 0 {
		t.Fatalf("MaxSeries 2: %d pending, %d series; want 2 and 0", d.Pending(), d.Series())
	}
}

// logBuffer is a slog handler's output that tests can read while the code
// under test logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCorruptSnapshotIsRejected(t *testing.T) {
	a := newTestEngine(t, nil, nil)
	feed(a, 1, rows("a"), 0, 100, func(i int) float64 { return float64(i % 7) })
	feed(a, 2, rows("b"), 0, 100, func(i int) float64 { return float64(i % 5) })
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	bad := map[string][]byte{
		"empty":         nil,
		"other magic":   append([]byte("VIGILXXX"), good[8:]...),
		"other version": append(append([]byte(snapshotMagic), 9), good[9:]...),
	}
	for _, n := range []int{5, 9, 20, len(good) / 2, len(good) - 1} {
		bad["truncated to "+strconv.Itoa(n)] = good[:n]
	}
	for _, i := range []int{12, len(good) / 3, len(good) / 2, len(good) - 3} {
		b := bytes.Clone(good)
		b[i] ^= 0x55
		bad["byte "+strconv.Itoa(i)+" flipped"] = b
	}
	bad["trailing garbage"] = append(bytes.Clone(good), 1, 2, 3)
	for name, b := range bad {
		e := newTestEngine(t, nil, nil)
		err := e.Restore(bytes.NewReader(b))
		if !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: error %v, want ErrSnapshot", name, err)
		}
		if e.Series() != 0 || e.Pending() != 0 {
			t.Errorf("%s: the engine kept %d series and %d pending", name, e.Series(), e.Pending())
		}
	}

	// Through a Snapshotter: the error is logged and the engine starts empty.
	meta := newMemMeta()
	if err := a.SaveTo(t.Context(), meta, "engine"); err != nil {
		t.Fatal(err)
	}
	meta.corrupt("engine/1/0")
	var logs logBuffer
	e := newTestEngine(t, nil, nil)
	s := NewSnapshotter(e, meta, "engine", time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := s.Load(t.Context()); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("Load: %v, want ErrSnapshot", err)
	}
	if e.Pending() != 0 || !strings.Contains(logs.String(), "engine snapshot not restored") {
		t.Fatalf("%d pending; log: %s", e.Pending(), logs.String())
	}
	feed(e, 1, rows("a"), 100, 101, func(int) float64 { return 1 })
	if e.Series() != 1 {
		t.Fatal("the engine does not observe after a failed restore")
	}
}

// memMeta is an in-memory Meta.
type memMeta struct {
	mu   sync.Mutex
	kv   map[string][]byte
	puts int
}

func newMemMeta() *memMeta { return &memMeta{kv: map[string][]byte{}} }

func (m *memMeta) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[key]
	if !ok {
		return nil, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
	}
	return bytes.Clone(v), nil
}

func (m *memMeta) Put(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[key] = bytes.Clone(value)
	m.puts++
	return nil
}

func (m *memMeta) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.kv[key]; !ok {
		return fmt.Errorf("delete %q: %w", key, store.ErrNotFound)
	}
	delete(m.kv, key)
	return nil
}

func (m *memMeta) corrupt(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[key][len(m.kv[key])/2] ^= 0xff
}

func (m *memMeta) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.kv {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestSaveToChunksAndReplaces saves enough learned series to need several
// chunks, saves again and checks that only the new generation is left,
// then loads it into a new engine.
func TestSaveToChunksAndReplaces(t *testing.T) {
	const n = 1500
	a := newTestEngine(t, nil, nil)
	r := rand.New(rand.NewPCG(3, 4))
	batch := make([]series.Sample, n)
	for i := range batch {
		batch[i] = series.Sample{Ref: uint64(i + 1), Labels: series.FromMap(map[string]string{"__name__": "m", "i": strconv.Itoa(i)})}
	}
	// A day and a half at five minutes, so that every daily bin is learned.
	for k := range 432 {
		for i := range batch {
			batch[i].T = snapT0.Add(time.Duration(k) * 5 * time.Minute).UnixMilli()
			batch[i].V = daily(r, k*5) + float64(i)
		}
		a.Observe(batch)
	}
	meta := newMemMeta()
	for range 2 {
		if err := a.SaveTo(t.Context(), meta, "engine"); err != nil {
			t.Fatal(err)
		}
	}
	m, found, err := readManifest(t.Context(), meta, "engine")
	if err != nil || !found {
		t.Fatalf("manifest: %v, found %v", err, found)
	}
	t.Logf("%d series: %d bytes in %d chunks, %.0f bytes per series", n, m.Bytes, m.Chunks, float64(m.Bytes)/n)
	if m.Generation != 2 || m.Chunks < 2 {
		t.Fatalf("manifest %+v: want generation 2 and several chunks", m)
	}
	want := []string{"engine"}
	for i := range m.Chunks {
		want = append(want, chunkKey("engine", 2, i))
	}
	slices.Sort(want)
	if got := meta.keys(); !slices.Equal(got, want) {
		t.Fatalf("keys after two saves: %q, want %q", got, want)
	}

	b := newTestEngine(t, nil, nil)
	if found, err := b.LoadFrom(t.Context(), meta, "engine"); err != nil || !found {
		t.Fatalf("LoadFrom: %v, found %v", err, found)
	}
	if b.Pending() != n {
		t.Fatalf("%d restored, want %d", b.Pending(), n)
	}
	if found, err := b.LoadFrom(t.Context(), meta, "nothing"); err != nil || found {
		t.Fatalf("LoadFrom a missing key: %v, found %v", err, found)
	}

	// A missing chunk is an error, not a partial restore.
	if err := meta.Delete(t.Context(), chunkKey("engine", 2, 1)); err != nil {
		t.Fatal(err)
	}
	c := newTestEngine(t, nil, nil)
	if _, err := c.LoadFrom(t.Context(), meta, "engine"); err == nil || c.Pending() != 0 {
		t.Fatalf("LoadFrom with a missing chunk: %v, %d pending", err, c.Pending())
	}
}

// TestSnapshotterWithStateStore runs the whole cycle on the real state
// store: load at start (nothing), save when the context ends, load into a
// new engine.
func TestSnapshotterWithStateStore(t *testing.T) {
	st, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	a := newTestEngine(t, nil, nil)
	s := NewSnapshotter(a, st.Meta(), "engine/snapshot", time.Hour, nil)
	if err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	feed(a, 1, rows("orders"), 0, 200, func(i int) float64 { return float64(i % 10) })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	b := newTestEngine(t, nil, nil)
	if err := NewSnapshotter(b, st.Meta(), "engine/snapshot", time.Hour, nil).Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b.Pending() != 1 {
		t.Fatalf("%d restored, want 1", b.Pending())
	}
}

// TestSnapshotWhileObserving takes snapshots while samples arrive; run
// with -race, it checks the locking.
func TestSnapshotWhileObserving(t *testing.T) {
	e := newTestEngine(t, nil, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 500 {
			e.Observe([]series.Sample{
				{Ref: uint64(i%20 + 1), Labels: rows(strconv.Itoa(i % 20)), T: snapT0.Add(time.Duration(i) * time.Minute).UnixMilli(), V: float64(i % 3)},
			})
		}
	}()
	for range 20 {
		var buf bytes.Buffer
		if err := e.Snapshot(&buf); err != nil {
			t.Error(err)
		}
		if err := newTestEngine(t, nil, nil).Restore(&buf); err != nil {
			t.Error(err)
		}
	}
	<-done
}

// FuzzEngineRestore checks that no input makes Restore panic or keep
// state after an error.
func FuzzEngineRestore(f *testing.F) {
	a := New(Options{MaxSeries: 100, IdleAfter: time.Hour, Registerer: prometheus.NewRegistry()})
	feed(a, 1, rows("a"), 0, 40, func(i int) float64 { return float64(i % 7) })
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(snapshotMagic + "\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := New(Options{MaxSeries: 100, IdleAfter: time.Hour, Registerer: prometheus.NewRegistry()})
		if err := e.Restore(bytes.NewReader(data)); err != nil && e.Pending() != 0 {
			t.Fatalf("error %v, yet %d states kept", err, e.Pending())
		}
	})
}
