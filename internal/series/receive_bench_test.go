package series

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

// BenchmarkRemoteWrite measures the receiver and the TSDB append path on
// batches like Prometheus sends: 2000 series with one sample each, ten
// labels per series, timestamps advancing by 15s per round.
func BenchmarkRemoteWrite(b *testing.B) {
	s := newTestStore(&testing.T{}, b.TempDir())
	defer s.Close()
	const perRequest = 2000
	t0 := s.now.Add(-24 * time.Hour)
	round := 0
	body := func() []byte {
		tss := make([]prompb.TimeSeries, perRequest)
		for i := range tss {
			tss[i] = series([]string{
				"__name__", fmt.Sprintf("bench_metric_%d", i%50), "app", "bench", "env", "prod",
				"instance", fmt.Sprintf("host-%d.example.org:9100", i/50), "job", "node", "region", "eu-west-1",
				"series", fmt.Sprint(i),
			}, prompb.Sample{Timestamp: t0.Add(time.Duration(round) * time.Second).UnixMilli(), Value: float64(round)})
		}
		round++
		return encodeV1(b, tss...)
	}
	// The first request creates the series; the benchmark measures appends
	// to existing series, the steady state of remote write.
	if rec := s.post(b, body(), nil); rec.Code != http.StatusNoContent {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		next := body()
		b.StartTimer()
		if rec := s.post(b, next, nil); rec.Code != http.StatusNoContent {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "samples/s")
}
