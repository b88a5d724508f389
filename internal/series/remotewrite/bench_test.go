package remotewrite

import (
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// The benchmarks decode a request as a Prometheus server sends it after a
// scrape: benchSeries series of one sample with ten labels each. The Gogo
// benchmarks are the peer, the gogo-generated code that Prometheus's own
// receiver unmarshals with, into a fresh message per request as it does.
const benchSeries = 2000

func BenchmarkDecodeV1(b *testing.B) {
	buf := marshal(b, scrapeV1(benchSeries))
	var d Decoder
	if _, err := d.DecodeV1(buf); err != nil { // Grow the decoder's memory.
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeV1(buf); err != nil {
			b.Fatal(err)
		}
	}
	reportSamples(b)
}

func BenchmarkGogoV1(b *testing.B) {
	buf := marshal(b, scrapeV1(benchSeries))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var req prompb.WriteRequest
		if err := req.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
	reportSamples(b)
}

func BenchmarkDecodeV2(b *testing.B) {
	buf := marshal(b, scrapeV2(benchSeries))
	var d Decoder
	if _, err := d.DecodeV2(buf); err != nil { // Grow the decoder's memory.
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeV2(buf); err != nil {
			b.Fatal(err)
		}
	}
	reportSamples(b)
}

// BenchmarkGogoV2 measures the unmarshalling alone: unlike DecodeV2, it
// leaves the label references unresolved.
func BenchmarkGogoV2(b *testing.B) {
	buf := marshal(b, scrapeV2(benchSeries))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var req writev2.Request
		if err := req.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
	reportSamples(b)
}

// reportSamples reports the throughput in samples per second.
func reportSamples(b *testing.B) {
	b.ReportMetric(float64(benchSeries)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
