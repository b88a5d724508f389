package otlp

import (
	"fmt"
	"testing"

	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// benchRequest builds a request of n data points of one kind ("gauge",
// "counter", "histogram", "exponential", "summary") or of all kinds in turn
// ("mixed"): metrics of ten data points each, one per HTTP route, with
// attributes as an HTTP server's metrics have them.
func benchRequest(kind string, n int) *colmetricspb.ExportMetricsServiceRequest {
	kinds := []string{kind}
	if kind == "mixed" {
		kinds = []string{"gauge", "counter", "histogram", "exponential", "summary"}
	}
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	counts := make([]uint64, len(bounds)+1)
	for i := range counts {
		counts[i] = uint64(i)
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	var ms []*metricspb.Metric
	for i := range n {
		a := attrs("http.request.method", "GET", "http.route", fmt.Sprintf("/api/v1/items/%d", i%10),
			"http.response.status_code", 200, "network.protocol.version", "1.1", "server.address", "api.example.com")
		ts := t0 + uint64(i/10)*1_000_000_000
		if i%10 != 0 {
			// Add the data point to the metric before.
			switch d := ms[len(ms)-1].Data.(type) {
			case *metricspb.Metric_Gauge:
				d.Gauge.DataPoints = append(d.Gauge.DataPoints, &metricspb.NumberDataPoint{TimeUnixNano: ts, Attributes: a,
					Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: float64(i)}})
			case *metricspb.Metric_Sum:
				d.Sum.DataPoints = append(d.Sum.DataPoints, &metricspb.NumberDataPoint{TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: a,
					Value: &metricspb.NumberDataPoint_AsInt{AsInt: int64(i)}})
			case *metricspb.Metric_Histogram:
				dp := proto.CloneOf(d.Histogram.DataPoints[0])
				dp.Attributes = a
				d.Histogram.DataPoints = append(d.Histogram.DataPoints, dp)
			case *metricspb.Metric_ExponentialHistogram:
				dp := proto.CloneOf(d.ExponentialHistogram.DataPoints[0])
				dp.Attributes = a
				d.ExponentialHistogram.DataPoints = append(d.ExponentialHistogram.DataPoints, dp)
			case *metricspb.Metric_Summary:
				dp := proto.CloneOf(d.Summary.DataPoints[0])
				dp.Attributes = a
				d.Summary.DataPoints = append(d.Summary.DataPoints, dp)
			}
			continue
		}
		var m *metricspb.Metric
		switch kinds[(i/10)%len(kinds)] {
		case "gauge":
			dp := dbl(ts, float64(i))
			dp.Attributes = a
			m = gauge("process.memory.usage", "By", dp)
		case "counter":
			dp := integer(ts, int64(i))
			dp.Attributes = a
			m = sum("http.server.request.count", "{request}", true, cumulative, dp)
		case "histogram":
			m = hist("http.server.request.duration", "s", cumulative, &metricspb.HistogramDataPoint{
				TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: a,
				Count: total, Sum: ptr(12.5), ExplicitBounds: bounds, BucketCounts: counts})
		case "exponential":
			m = expHist("http.server.request.body.size", "By", cumulative, &metricspb.ExponentialHistogramDataPoint{
				TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: a, Scale: 3, Count: total, Sum: ptr(1e5),
				Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 40, BucketCounts: counts}})
		case "summary":
			m = summary("rpc.server.duration", "ms", &metricspb.SummaryDataPoint{
				TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: a, Count: 100, Sum: 250,
				QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 2}, {Quantile: 0.9, Value: 4}, {Quantile: 0.99, Value: 9}}})
		}
		ms = append(ms, m)
	}
	res := attrs("service.name", "api", "service.namespace", "shop", "service.instance.id", "pod-1",
		"host.name", "node-1", "k8s.pod.name", "api-7d9f", "k8s.namespace.name", "prod", "cloud.region", "eu-west-1")
	return request(resourceMetrics(res, scopeMetrics("io.opentelemetry.http", "1.2.0", ms...)))
}

// BenchmarkTranslate measures translation throughput in OTLP data points
// per second, into an appender that keeps nothing.
func BenchmarkTranslate(b *testing.B) {
	const points = 1000
	for _, kind := range []string{"gauge", "counter", "histogram", "exponential", "summary", "mixed"} {
		b.Run(kind, func(b *testing.B) {
			req := benchRequest(kind, points)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Translate(discard{}, req, TranslateOptions{})
				if err != nil || res.Accepted != points {
					b.Fatalf("Translate: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.N*points)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkDecode measures decoding throughput of a mixed request.
func BenchmarkDecode(b *testing.B) {
	req := benchRequest("mixed", 1000)
	pb := marshal(b, req)
	js, err := protojson.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		ct   string
		body []byte
	}{{ContentTypeProtobuf, pb}, {ContentTypeJSON, js}} {
		b.Run(tc.ct, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(tc.body, tc.ct); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
