package remotewrite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// This file builds the requests the tests decode, with the gogo types that
// Prometheus senders use.

// scrape returns the label sets of n series as a Prometheus scrape of a
// fleet of services produces them: __name__, job and instance, then a few
// labels of the application and of Kubernetes, ten or so in all, sorted.
func scrape(n int) []labels.Labels {
	r := rand.New(rand.NewPCG(1, 2))
	metrics := []string{
		"http_requests_total", "http_request_duration_seconds_bucket", "process_cpu_seconds_total",
		"go_goroutines", "go_memstats_heap_inuse_bytes", "grpc_server_handled_total",
		"kafka_consumergroup_lag", "node_network_receive_bytes_total",
	}
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	codes := []string{"200", "201", "204", "400", "404", "500", "503"}
	handlers := []string{"/api/v1/orders", "/api/v1/users/{id}", "/healthz", "/metrics", "/api/v2/checkout"}
	ls := make([]labels.Labels, n)
	for i := range ls {
		job := fmt.Sprintf("service-%d", i%20)
		b := labels.NewScratchBuilder(10)
		b.Add("__name__", metrics[i%len(metrics)])
		b.Add("job", job)
		b.Add("instance", fmt.Sprintf("10.%d.%d.%d:9100", i%7, (i/7)%250, i%250))
		b.Add("namespace", fmt.Sprintf("team-%d", i%5))
		b.Add("pod", fmt.Sprintf("%s-%08x-%05x", job, r.Uint32(), r.Uint32()&0xfffff))
		b.Add("container", "app")
		b.Add("method", methods[r.IntN(len(methods))])
		b.Add("code", codes[r.IntN(len(codes))])
		b.Add("handler", handlers[r.IntN(len(handlers))])
		b.Add("le", fmt.Sprint([]float64{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}[i%7]))
		b.Sort()
		ls[i] = b.Labels()
	}
	return ls
}

// scrapeV1 returns a 1.0 request of n series with one sample each.
func scrapeV1(n int) *prompb.WriteRequest {
	r := rand.New(rand.NewPCG(3, 4))
	req := &prompb.WriteRequest{}
	for _, ls := range scrape(n) {
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels:  prompb.FromLabels(ls, nil),
			Samples: []prompb.Sample{{Value: math.Round(r.Float64()*1e6) / 100, Timestamp: 1_767_225_600_000 + r.Int64N(15_000)}},
		})
	}
	return req
}

// scrapeV2 returns a 2.0 request of n series with one sample each.
func scrapeV2(n int) *writev2.Request {
	r := rand.New(rand.NewPCG(3, 4))
	st := writev2.NewSymbolTable()
	req := &writev2.Request{}
	for _, ls := range scrape(n) {
		req.Timeseries = append(req.Timeseries, writev2.TimeSeries{
			LabelsRefs: st.SymbolizeLabels(ls, nil),
			Samples:    []writev2.Sample{{Value: math.Round(r.Float64()*1e6) / 100, Timestamp: 1_767_225_600_000 + r.Int64N(15_000)}},
			Metadata:   writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_COUNTER, HelpRef: st.Symbolize("Total number of requests.")},
		})
	}
	req.Symbols = st.Symbols()
	return req
}

// staleNaN is the stale marker of Prometheus, a NaN whose bits the decoder
// must keep.
var staleNaN = math.Float64frombits(value.StaleNaN)

// testHistogram returns an integer histogram with exponential buckets on
// both sides.
func testHistogram() *histogram.Histogram {
	return &histogram.Histogram{
		CounterResetHint: histogram.NotCounterReset,
		Schema:           1,
		ZeroThreshold:    0.001,
		ZeroCount:        2,
		Count:            21,
		Sum:              36.8,
		PositiveSpans:    []histogram.Span{{Offset: 0, Length: 2}, {Offset: 1, Length: 2}},
		PositiveBuckets:  []int64{1, 1, -1, 0},
		NegativeSpans:    []histogram.Span{{Offset: -2, Length: 1}},
		NegativeBuckets:  []int64{3},
	}
}

// testFloatHistogram returns a float histogram with custom buckets.
func testFloatHistogram() *histogram.FloatHistogram {
	return &histogram.FloatHistogram{
		CounterResetHint: histogram.GaugeType,
		Schema:           histogram.CustomBucketsSchema,
		Count:            7.5,
		Sum:              -2.25,
		PositiveSpans:    []histogram.Span{{Offset: 0, Length: 3}},
		PositiveBuckets:  []float64{1.5, 4, 2},
		CustomValues:     []float64{0.1, 1, 10},
	}
}

// richV1 returns a 1.0 request that uses every field.
func richV1() *prompb.WriteRequest {
	return &prompb.WriteRequest{
		Timeseries: []prompb.TimeSeries{
			{
				Labels: []prompb.Label{{Name: "__name__", Value: "rpc_duration_seconds"}, {Name: "job", Value: "api"}, {Name: "zone", Value: "ünïcödé"}},
				Samples: []prompb.Sample{
					{Value: 1.5, Timestamp: 1_000},
					{Value: staleNaN, Timestamp: 2_000},
					{Value: math.NaN(), Timestamp: 3_000},
					{Value: math.Inf(1), Timestamp: 4_000},
					{Value: math.Inf(-1), Timestamp: -5_000},
					{Value: -1e-300, Timestamp: math.MaxInt64},
					{Value: math.SmallestNonzeroFloat64, Timestamp: math.MinInt64},
				},
				Exemplars: []prompb.Exemplar{
					{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6a3ce929d0e0e4736"}}, Value: 0.25, Timestamp: 1_500},
					{Value: math.Inf(1), Timestamp: 2_500},
				},
			},
			{
				Labels:     []prompb.Label{{Name: "__name__", Value: "rpc_latency"}, {Name: "empty", Value: ""}},
				Histograms: []prompb.Histogram{prompb.FromIntHistogram(10_000, testHistogram()), prompb.FromFloatHistogram(20_000, testFloatHistogram())},
			},
			{},
		},
		Metadata: []prompb.MetricMetadata{
			{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "rpc_latency", Help: "Latency of RPCs.", Unit: "seconds"},
			{Type: prompb.MetricMetadata_STATESET, MetricFamilyName: "feature"},
			{Type: 42},
		},
	}
}

// richV2 returns a 2.0 request that uses every field.
func richV2() *writev2.Request {
	st := writev2.NewSymbolTable()
	refs := func(ss ...string) []uint32 {
		var rs []uint32
		for _, s := range ss {
			rs = append(rs, st.Symbolize(s))
		}
		return rs
	}
	req := &writev2.Request{
		Timeseries: []writev2.TimeSeries{
			{
				LabelsRefs: refs("__name__", "rpc_duration_seconds", "job", "api", "zone", "ünïcödé"),
				Samples: []writev2.Sample{
					{Value: 1.5, Timestamp: 1_000, StartTimestamp: 500},
					{Value: staleNaN, Timestamp: 2_000},
					{Value: math.NaN(), Timestamp: 3_000, StartTimestamp: -1},
					{Value: math.Inf(1), Timestamp: 4_000},
					{Value: math.Inf(-1), Timestamp: -5_000},
					{Value: -1e-300, Timestamp: math.MaxInt64, StartTimestamp: math.MinInt64},
				},
				Exemplars: []writev2.Exemplar{
					{LabelsRefs: refs("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"), Value: 0.25, Timestamp: 1_500},
					{Value: math.Inf(1), Timestamp: 2_500},
				},
				Metadata: writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_SUMMARY, HelpRef: refs("RPC durations.")[0], UnitRef: refs("seconds")[0]},
			},
			{
				LabelsRefs: refs("__name__", "rpc_latency", "empty", ""),
				Histograms: []writev2.Histogram{writev2.FromIntHistogram(9_000, 10_000, testHistogram()), writev2.FromFloatHistogram(0, 20_000, testFloatHistogram())},
				Metadata:   writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_HISTOGRAM},
			},
			{Metadata: writev2.Metadata{Type: 42}},
		},
	}
	req.Symbols = st.Symbols()
	return req
}

// marshal encodes m or fails t.
func marshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
