package series

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

// TestFanoutSeesEveryCommittedSample checks that observers get each
// accepted sample once, in order per series, and never a rejected one.
func TestFanoutSeesEveryCommittedSample(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	rec := &recorder{}
	s.Subscribe(rec)
	stop := runStore(t, s)
	t0 := s.now.Add(-time.Hour)
	const series_, perSeries = 20, 50
	var tss []prompb.TimeSeries
	for i := range series_ {
		ts := series([]string{"__name__", "m", "i", string(rune('a' + i))})
		for j := range perSeries {
			ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: t0.Add(time.Duration(j) * time.Second).UnixMilli(), Value: float64(j)})
		}
		tss = append(tss, ts)
	}
	if r := s.post(t, encodeV1(t, tss...), nil); r.Code != http.StatusNoContent {
		t.Fatal(r.Code, r.Body)
	}
	// A rejected sample (out of order) must not reach observers.
	if r := s.post(t, encodeV1(t, series([]string{"__name__", "m", "i", "a"}, prompb.Sample{Timestamp: t0.UnixMilli() - 1, Value: 9})), nil); r.Code != 400 {
		t.Fatal(r.Code, r.Body)
	}
	stop() // Drains the queues.
	if rec.len() != series_*perSeries {
		t.Fatalf("observer saw %d samples, want %d", rec.len(), series_*perSeries)
	}
	last := map[uint64]int64{}
	for _, smp := range rec.samples {
		if smp.T <= last[smp.Ref] {
			t.Fatalf("series %s: sample at %d after %d", smp.Labels, smp.T, last[smp.Ref])
		}
		last[smp.Ref] = smp.T
		if smp.Labels.Get("__name__") != "m" {
			t.Fatalf("labels lost: %s", smp.Labels)
		}
	}
	if n := counter(t, s.reg, "vigil_fanout_samples_published_total", nil); n != series_*perSeries {
		t.Fatalf("published counter %v", n)
	}
}

// TestFanoutDropsWhenFullButStores checks the bounded queues: a stuck
// observer never blocks ingestion, drops are counted, storage keeps all.
func TestFanoutDropsWhenFullButStores(t *testing.T) {
	s := newTestStore(t, t.TempDir(), func(o *Options) { o.FanoutShards, o.FanoutQueue = 1, 2 })
	defer s.Close()
	rec := &recorder{block: make(chan struct{})}
	s.Subscribe(rec)
	stop := runStore(t, s)
	t0 := s.now.Add(-time.Hour)
	const requests = 10
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range requests {
			body := encodeV1(t, series([]string{"__name__", "m"}, prompb.Sample{Timestamp: t0.Add(time.Duration(i) * time.Second).UnixMilli(), Value: float64(i)}))
			if r := s.post(t, body, nil); r.Code != http.StatusNoContent {
				t.Error(r.Code, r.Body)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ingestion blocked on a stuck observer")
	}
	close(rec.block)
	stop()
	dropped := counter(t, s.reg, "vigil_fanout_samples_dropped_total", nil)
	if dropped == 0 || float64(rec.len())+dropped != requests {
		t.Fatalf("observer saw %d, dropped %v; want a positive drop count adding up to %d", rec.len(), dropped, requests)
	}
	if got := s.vector(t, "count_over_time(m[1h])", t0.Add(time.Minute)); got[`{}`] != "10" {
		t.Fatalf("storage lost samples: %v", got)
	}
}

func TestSelfWriterStoresAndFansOut(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	rec := &recorder{}
	s.Subscribe(rec)
	stop := runStore(t, s)
	w := s.NewSelfWriter("test", s.reg)
	at := s.now.Add(-time.Minute)
	w.Write("vigil_etl_run_duration_seconds", map[string]string{"pipeline": "orders"}, at, 12.5)
	w.Write("vigil_etl_run_duration_seconds", map[string]string{"pipeline": "orders"}, at.Add(-time.Hour), 1) // Out of order: refused, counted.
	w.Write("bad name", nil, at, 1)                                                                           // Invalid: refused, counted.
	stop()
	if got := s.vector(t, "vigil_etl_run_duration_seconds", at); got[`{__name__="vigil_etl_run_duration_seconds", pipeline="orders"}`] != "12.5" {
		t.Fatalf("stored: %v", got)
	}
	if rec.len() != 1 {
		t.Fatalf("observers saw %d samples, want 1", rec.len())
	}
	if n := counter(t, s.reg, "vigil_series_self_write_errors_total", nil); n != 2 {
		t.Fatalf("refusals counted: %v, want 2", n)
	}
}
