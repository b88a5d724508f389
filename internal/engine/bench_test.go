package engine

import (
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/detect"
	"github.com/vigil-aiops/vigil/internal/series"
)

// BenchmarkObserve measures the engine on batches like the fan-out
// delivers: 2000 series, one sample each, time advancing 15s a batch. No
// score writer, so it measures detection and bookkeeping.
func BenchmarkObserve(b *testing.B) {
	e := New(Options{MaxSeries: 1 << 20, Registerer: prometheus.NewRegistry()})
	batch := make([]series.Sample, 2000)
	for i := range batch {
		batch[i] = series.Sample{Ref: uint64(i + 1), Labels: series.FromMap(map[string]string{"__name__": "m", "i": strconv.Itoa(i)})}
	}
	t := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMilli()
	b.ReportAllocs()
	for b.Loop() {
		t += 15000
		for i := range batch {
			batch[i].T, batch[i].V = t, float64(i%7)
		}
		e.Observe(batch)
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "samples/s")
}

// nopDetector costs nothing, so BenchmarkObserveOverhead measures the
// engine's own bookkeeping around the detectors.
type nopDetector struct{}

func (nopDetector) Observe(detect.Sample) detect.Result { return detect.Result{} }

func BenchmarkObserveOverhead(b *testing.B) {
	e := New(Options{MaxSeries: 1 << 20, Registerer: prometheus.NewRegistry(),
		NewDetector: func() (detect.Detector, error) { return nopDetector{}, nil }})
	batch := make([]series.Sample, 2000)
	for i := range batch {
		batch[i] = series.Sample{Ref: uint64(i + 1), Labels: series.FromMap(map[string]string{"__name__": "m", "i": strconv.Itoa(i)})}
	}
	t := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMilli()
	b.ReportAllocs()
	for b.Loop() {
		t += 15000
		for i := range batch {
			batch[i].T, batch[i].V = t, float64(i%7)
		}
		e.Observe(batch)
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "samples/s")
}
