package engine

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-aiops/vigil/internal/series"
)

// TestCountersAreJudgedByRate feeds a request counter that grows about 100
// per second, restarts (resets to zero) twice, and once takes ten times
// its usual traffic for a minute: only the surge may be reported, as a
// rate; the resets and a staleness marker must pass quietly. Histogram
// buckets are not judged.
func TestCountersAreJudgedByRate(t *testing.T) {
	sk := &sink{}
	e := New(Options{Signals: sk, MaxSeries: 10, Registerer: prometheus.NewRegistry()})
	reqs := series.FromMap(map[string]string{"__name__": "http_requests_total", "job": "api"})
	bucket := series.FromMap(map[string]string{"__name__": "http_duration_seconds_bucket", "le": "0.1"})
	r := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	var v float64
	n := 3 * 24 * 240 // Three days at 15 s.
	surge := n - 500
	for i := range n {
		rate := 100 * (1 + 0.2*math.Sin(float64(i)/240/24*2*math.Pi)) * (1 + 0.05*r.NormFloat64())
		if i >= surge && i < surge+4 {
			rate *= 10
		}
		v += rate * 15
		if i == n/3 || i == 2*n/3 {
			v = rate * 7 // The process restarted 7 s after the last scrape.
		}
		ts := t0.Add(time.Duration(i) * 15 * time.Second).UnixMilli()
		batch := []series.Sample{{Ref: 1, Labels: reqs, T: ts, V: v}, {Ref: 2, Labels: bucket, T: ts, V: v}}
		if i == n/2 {
			batch[0].V = math.NaN()
		}
		e.Observe(batch)
	}
	if e.Series() != 1 {
		t.Fatalf("%d series tracked, want the counter alone", e.Series())
	}
	surgeAt := t0.Add(time.Duration(surge) * 15 * time.Second)
	found := false
	for _, sg := range sk.signals {
		if sg.Kind != KindAnomaly || sg.Cleared {
			continue
		}
		if sg.At.Before(surgeAt) || sg.At.After(surgeAt.Add(time.Minute)) {
			if sg.At.After(t0.Add(24 * time.Hour)) {
				t.Errorf("anomaly outside the surge: %+v", sg)
			}
			continue
		}
		found = true
		if !strings.HasPrefix(sg.Evidence, "rate ") || sg.Observed < 500 || sg.Expected.Contains(sg.Observed) {
			t.Errorf("surge signal does not speak of the rate: %+v", sg)
		}
	}
	if !found {
		t.Fatalf("no signal at the surge; signals: %+v", sk.signals)
	}
}

// TestAMillionSeriesStayBounded offers the engine a million distinct series
// with a bound of 20,000: it must track exactly the bound, count the rest
// as unobserved, and hold memory in proportion to the bound, not to the
// offer.
func TestAMillionSeriesStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a million series take a few seconds")
	}
	reg := prometheus.NewRegistry()
	e := New(Options{MaxSeries: 20_000, Registerer: reg})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	batch := make([]series.Sample, 2000)
	ts := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMilli()
	for b := range 500 {
		for i := range batch {
			id := b*len(batch) + i
			batch[i] = series.Sample{Ref: uint64(id + 1), Labels: series.FromMap(map[string]string{"__name__": "m", "id": strconv.Itoa(id)}), T: ts, V: float64(id % 13)}
		}
		e.Observe(batch)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if e.Series() != 20_000 {
		t.Fatalf("%d series tracked, want 20000", e.Series())
	}
	if got := testutil.ToFloat64(e.m.dropped); got != 980_000 {
		t.Fatalf("%g samples counted unobserved, want 980000", got)
	}
	t.Logf("heap grew by %d KiB per tracked series", (int64(after.HeapAlloc)-int64(before.HeapAlloc))/20_000>>10)
	// About 4 KiB of detector state per series, plus labels and maps.
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 20_000*8<<10 {
		t.Fatalf("heap grew by %d MiB for 20000 series", grown>>20)
	}
}

// TestHeldSeriesDoNotLearnTheOutage holds a series, as the incident
// manager does for the series of an open incident: a long outage at a new
// level is then never accepted as the new baseline (no drift), while the
// same outage unheld is.
func TestHeldSeriesDoNotLearnTheOutage(t *testing.T) {
	run := func(hold bool) (drifts int) {
		sk := &sink{}
		e := New(Options{Signals: sk, MaxSeries: 10, Registerer: prometheus.NewRegistry()})
		labels := map[string]string{"__name__": "rows", "pipeline": "orders"}
		ls := series.FromMap(labels)
		ts := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMilli()
		for i := range 5000 {
			ts += 15000
			v := 100 + float64(i%7)
			if i == 3000 && hold {
				e.Hold(labels, true)
			}
			if i >= 3000 {
				v = 20
			}
			e.Observe([]series.Sample{{Ref: 1, Labels: ls, T: ts, V: v}})
		}
		for _, sg := range sk.signals {
			if sg.Kind == KindDrift {
				drifts++
			}
		}
		return drifts
	}
	if held, free := run(true), run(false); held != 0 || free == 0 {
		t.Fatalf("drifts: %d held (want 0), %d not held (want some)", held, free)
	}
}
