package otlp

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// service is the resource of most test cases: it gives job and instance and
// nothing for target_info.
var service = attrs("service.name", "api", "service.namespace", "shop", "service.instance.id", "i-1")

// one wraps metrics in a request with the service resource and no scope.
func one(ms ...*metricspb.Metric) *colmetricspb.ExportMetricsServiceRequest {
	return request(resourceMetrics(service, scopeMetrics("", "", ms...)))
}

// The label sets of the service resource, for expectations.
const (
	svc   = `instance="i-1", job="shop/api"`
	tsMs  = "t=1700000000000"
	stMs  = "st=1699999940000"
	stTs  = stMs + " " + tsMs
	trace = "0102030405060708090a0b0c0d0e0f10"
	span  = "a1a2a3a4a5a6a7a8"
)

func TestTranslate(t *testing.T) {
	traceID := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	spanID := []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}
	ex := func(v float64, kvs ...any) *metricspb.Exemplar {
		return &metricspb.Exemplar{TimeUnixNano: t0, TraceId: traceID, SpanId: spanID,
			Value: &metricspb.Exemplar_AsDouble{AsDouble: v}, FilteredAttributes: attrs(kvs...)}
	}
	exLabels := `{span_id="` + span + `", trace_id="` + trace + `"}`
	nan := math.NaN()

	tests := []struct {
		name     string
		req      *colmetricspb.ExportMetricsServiceRequest
		opts     TranslateOptions
		want     []string
		accepted int64
		rejected map[Reason]int64
		msg      string // a substring of Result.Message
	}{
		{
			name:     "gauge with unit",
			req:      one(gauge("memory.usage", "By", dbl(t0, 1.5, "host.name", "h1"))),
			want:     []string{`{__name__="memory_usage_bytes", host_name="h1", ` + svc + `} ` + tsMs + ` 1.5`},
			accepted: 1,
		},
		{
			name:     "gauge of unit 1 is a ratio",
			req:      one(gauge("cpu.utilization", "1", dbl(t0, 0.25))),
			want:     []string{`{__name__="cpu_utilization_ratio", ` + svc + `} ` + tsMs + ` 0.25`},
			accepted: 1,
		},
		{
			name:     "integer gauge with annotation unit",
			req:      one(gauge("process.threads", "{thread}", integer(t0, 42))),
			want:     []string{`{__name__="process_threads", ` + svc + `} ` + tsMs + ` 42`},
			accepted: 1,
		},
		{
			name:     "rate unit",
			req:      one(gauge("net.io.rate", "By/s", dbl(t0, 10))),
			want:     []string{`{__name__="net_io_rate_bytes_per_second", ` + svc + `} ` + tsMs + ` 10`},
			accepted: 1,
		},
		{
			name:     "monotonic sum is a counter",
			req:      one(sum("http.server.requests", "{request}", true, cumulative, integer(t0, 10, "http.method", "GET"))),
			want:     []string{`{__name__="http_server_requests_total", http_method="GET", ` + svc + `} ` + stTs + ` 10`},
			accepted: 1,
		},
		{
			name:     "counter with unit and total already in the name",
			req:      one(sum("cpu.total.time", "s", true, cumulative, dbl(t0, 3.5))),
			want:     []string{`{__name__="cpu_time_seconds_total", ` + svc + `} ` + stTs + ` 3.5`},
			accepted: 1,
		},
		{
			name:     "non-monotonic sum is a gauge",
			req:      one(sum("queue.size", "{item}", false, cumulative, integer(t0, 3))),
			want:     []string{`{__name__="queue_size", ` + svc + `} ` + tsMs + ` 3`},
			accepted: 1,
		},
		{
			name:     "delta sum is rejected",
			req:      one(sum("requests", "", true, delta, integer(t0, 1), integer(t0, 2))),
			rejected: map[Reason]int64{ReasonDeltaTemporality: 2},
			msg:      `metric "requests": delta aggregation temporality is not supported (2 data points)`,
		},
		{
			name:     "delta histogram is rejected",
			req:      one(hist("latency", "s", delta, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 1})),
			rejected: map[Reason]int64{ReasonDeltaTemporality: 1},
		},
		{
			name:     "sum without temporality is rejected",
			req:      one(sum("requests", "", true, unspecified, integer(t0, 1))),
			rejected: map[Reason]int64{ReasonInvalidTemporality: 1},
		},
		{
			name: "histogram",
			req: one(hist("http.server.duration", "s", cumulative, &metricspb.HistogramDataPoint{
				TimeUnixNano: t0, StartTimeUnixNano: start, Attributes: attrs("route", "/a"),
				Count: 6, Sum: ptr(7.5), ExplicitBounds: []float64{0.1, 1}, BucketCounts: []uint64{1, 2, 3},
			})),
			want: []string{
				`{__name__="http_server_duration_seconds_sum", ` + svc + `, route="/a"} ` + stTs + ` 7.5`,
				`{__name__="http_server_duration_seconds_count", ` + svc + `, route="/a"} ` + stTs + ` 6`,
				`{__name__="http_server_duration_seconds_bucket", ` + svc + `, le="0.1", route="/a"} ` + stTs + ` 1`,
				`{__name__="http_server_duration_seconds_bucket", ` + svc + `, le="1", route="/a"} ` + stTs + ` 3`,
				`{__name__="http_server_duration_seconds_bucket", ` + svc + `, le="+Inf", route="/a"} ` + stTs + ` 6`,
			},
			accepted: 1,
		},
		{
			name: "histogram without sum or buckets",
			req:  one(hist("d", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 4})),
			want: []string{
				`{__name__="d_count", ` + svc + `} ` + tsMs + ` 4`,
				`{__name__="d_bucket", ` + svc + `, le="+Inf"} ` + tsMs + ` 4`,
			},
			accepted: 1,
		},
		{
			name: "histogram with an explicit +Inf bound",
			req: one(hist("d", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0,
				Count: 5, ExplicitBounds: []float64{1, math.Inf(1)}, BucketCounts: []uint64{2, 3, 0}})),
			want: []string{
				`{__name__="d_count", ` + svc + `} ` + tsMs + ` 5`,
				`{__name__="d_bucket", ` + svc + `, le="1"} ` + tsMs + ` 2`,
				`{__name__="d_bucket", ` + svc + `, le="+Inf"} ` + tsMs + ` 5`,
			},
			accepted: 1,
		},
		{
			name: "histogram with a NaN sum may count more than its buckets",
			req: one(hist("d", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0,
				Count: 3, Sum: ptr(nan), ExplicitBounds: []float64{1}, BucketCounts: []uint64{1, 1}})),
			want: []string{
				`{__name__="d_sum", ` + svc + `} ` + tsMs + ` NaN`,
				`{__name__="d_count", ` + svc + `} ` + tsMs + ` 3`,
				`{__name__="d_bucket", ` + svc + `, le="1"} ` + tsMs + ` 1`,
				`{__name__="d_bucket", ` + svc + `, le="+Inf"} ` + tsMs + ` 3`,
			},
			accepted: 1,
		},
		{
			name: "invalid histograms are rejected",
			req: one(hist("d", "", cumulative,
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3, ExplicitBounds: []float64{1, 2}, BucketCounts: []uint64{1, 2}},
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3, ExplicitBounds: []float64{2, 1}, BucketCounts: []uint64{1, 1, 1}},
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 5, ExplicitBounds: []float64{1}, BucketCounts: []uint64{1, 1}},
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 0, ExplicitBounds: []float64{1}},
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 2, ExplicitBounds: []float64{nan}, BucketCounts: []uint64{1, 1}},
				&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 0, BucketCounts: []uint64{math.MaxUint64, 1}, ExplicitBounds: []float64{1}},
			)),
			rejected: map[Reason]int64{ReasonInvalidHistogram: 6},
			msg:      `histogram has 2 bucket counts for 2 explicit bounds, want 3`,
		},
		{
			name: "summary",
			req: one(summary("rpc.latency", "ms", &metricspb.SummaryDataPoint{
				TimeUnixNano: t0, StartTimeUnixNano: start, Count: 10, Sum: 55,
				QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.99, Value: 9}, {Quantile: 0.5, Value: 4}},
			})),
			want: []string{
				`{__name__="rpc_latency_milliseconds_sum", ` + svc + `} ` + stTs + ` 55`,
				`{__name__="rpc_latency_milliseconds_count", ` + svc + `} ` + stTs + ` 10`,
				`{__name__="rpc_latency_milliseconds", ` + svc + `, quantile="0.99"} ` + stTs + ` 9`,
				`{__name__="rpc_latency_milliseconds", ` + svc + `, quantile="0.5"} ` + stTs + ` 4`,
			},
			accepted: 1,
		},
		{
			name: "invalid summaries are rejected",
			req: one(summary("s", "",
				&metricspb.SummaryDataPoint{TimeUnixNano: t0, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 1.5}}},
				&metricspb.SummaryDataPoint{TimeUnixNano: t0, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5}, {Quantile: 0.5}}},
				&metricspb.SummaryDataPoint{TimeUnixNano: t0, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: nan}}},
			)),
			rejected: map[Reason]int64{ReasonInvalidSummary: 3},
			msg:      `quantile 1.5 is outside [0, 1]`,
		},
		{
			name: "exponential histogram",
			req: one(expHist("rpc.size", "By", cumulative, &metricspb.ExponentialHistogramDataPoint{
				TimeUnixNano: t0, StartTimeUnixNano: start, Count: 7, Sum: ptr(10.0), Scale: 0, ZeroCount: 1,
				Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 0, BucketCounts: []uint64{1, 2}},
				Negative: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: -1, BucketCounts: []uint64{3}},
			})),
			want: []string{
				`{__name__="rpc_size_bytes", ` + svc + `} ` + stTs + ` h=schema:0 zt:1e-128 {count:7, sum:10, [-1,-0.5):3, [-1e-128,1e-128]:1, (1,2]:1, (2,4]:2}`,
			},
			accepted: 1,
		},
		{
			name: "exponential histogram scale above 8 is reduced",
			req: one(expHist("e", "", cumulative, &metricspb.ExponentialHistogramDataPoint{
				TimeUnixNano: t0, Count: 5, Sum: ptr(5.0), Scale: 10, ZeroThreshold: 0.001,
				Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 0, BucketCounts: []uint64{1, 1, 1, 1, 1}},
			})),
			want: []string{
				`{__name__="e", ` + svc + `} ` + tsMs + ` h=schema:8 zt:0.001 {count:5, sum:5, (1,1.0027112750502025]:4, (1.0027112750502025,1.0054299011128027]:1}`,
			},
			accepted: 1,
		},
		{
			name: "invalid exponential histograms are rejected",
			req: one(expHist("e", "", cumulative,
				&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Scale: -5},
				&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, ZeroThreshold: nan},
				&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Count: 1, Sum: ptr(1.0),
					Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{BucketCounts: []uint64{2}}},
				&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Count: 1,
					Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: math.MaxInt32, BucketCounts: []uint64{1}}},
				&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Count: 1,
					Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{BucketCounts: []uint64{math.MaxInt64, 2}}},
			)),
			rejected: map[Reason]int64{ReasonInvalidHistogram: 5},
			msg:      `exponential histogram scale -5 is below the minimum -4`,
		},
		{
			name: "no recorded value becomes a stale marker",
			req: one(
				gauge("g", "", &metricspb.NumberDataPoint{TimeUnixNano: t0, Flags: noValue}),
				hist("h", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Flags: noValue, Sum: ptr(0.0),
					ExplicitBounds: []float64{1}, BucketCounts: []uint64{0, 0}}),
				summary("s", "", &metricspb.SummaryDataPoint{TimeUnixNano: t0, Flags: noValue,
					QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5}}}),
				expHist("e", "", cumulative, &metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Flags: noValue, Scale: 100}),
			),
			want: []string{
				`{__name__="g", ` + svc + `} ` + tsMs + ` stale`,
				`{__name__="h_sum", ` + svc + `} ` + tsMs + ` stale`,
				`{__name__="h_count", ` + svc + `} ` + tsMs + ` stale`,
				`{__name__="h_bucket", ` + svc + `, le="1"} ` + tsMs + ` stale`,
				`{__name__="h_bucket", ` + svc + `, le="+Inf"} ` + tsMs + ` stale`,
				`{__name__="s_sum", ` + svc + `} ` + tsMs + ` stale`,
				`{__name__="s_count", ` + svc + `} ` + tsMs + ` stale`,
				`{__name__="s", ` + svc + `, quantile="0.5"} ` + tsMs + ` stale`,
				`{__name__="e", ` + svc + `} ` + tsMs + ` h=stale`,
			},
			accepted: 4,
		},
		{
			name: "NaN and infinities are kept, a forged stale marker is not",
			req: one(gauge("g", "",
				dbl(t0, math.Inf(1), "v", "+inf"), dbl(t0, math.Inf(-1), "v", "-inf"),
				dbl(t0, nan, "v", "nan"), dbl(t0, math.Float64frombits(value.StaleNaN), "v", "stale"))),
			want: []string{
				`{__name__="g", ` + svc + `, v="+inf"} ` + tsMs + ` +Inf`,
				`{__name__="g", ` + svc + `, v="-inf"} ` + tsMs + ` -Inf`,
				`{__name__="g", ` + svc + `, v="nan"} ` + tsMs + ` NaN`,
				`{__name__="g", ` + svc + `, v="stale"} ` + tsMs + ` NaN`,
			},
			accepted: 4,
		},
		{
			name: "missing timestamp or value is rejected",
			req: one(gauge("g", "",
				dbl(0, 1),
				&metricspb.NumberDataPoint{TimeUnixNano: t0},
				dbl(t0, 2),
			)),
			want:     []string{`{__name__="g", ` + svc + `} ` + tsMs + ` 2`},
			accepted: 1,
			rejected: map[Reason]int64{ReasonMissingTimestamp: 1, ReasonMissingValue: 1},
			msg:      `metric "g": data point has no timestamp (1 data point); metric "g": data point has no value (1 data point)`,
		},
		{
			name:     "future timestamp is rejected",
			req:      one(gauge("g", "", dbl(t0, 1), dbl(t0-1_000_000, 2))),
			opts:     TranslateOptions{MaxTimestamp: t0ms - 1},
			want:     []string{`{__name__="g", ` + svc + `} t=1699999999999 2`},
			accepted: 1,
			rejected: map[Reason]int64{ReasonFutureTimestamp: 1},
		},
		{
			name: "attributes become labels",
			req: one(gauge("g", "", dbl(t0, 1,
				"a_b", "2", "a.b", "1", "1x", "y", "__name__", "evil", "empty", "",
				"arr", &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{
					Values: []*commonpb.AnyValue{anyValue(1), anyValue("s"), anyValue(0.5)}}}},
				"map", &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{
					Values: attrs("z", true, "a", []byte("hi"))}}},
				"d", 2.5e-7, "b", true, "i", 7, "none", nil, "__x.y__", "r", "job", "overridden",
			))),
			want: []string{`{__name__="g", __x_y__="r", a_b="1;2", arr="[1,\"s\",0.5]", b="true", d="2.5e-7", i="7", ` +
				`instance="i-1", job="shop/api", key_1x="y", map="{\"a\":\"aGk=\",\"z\":true}"} ` + tsMs + ` 1`},
			accepted: 1,
		},
		{
			name:     "attribute keys without valid characters reject their data point",
			req:      one(gauge("g", "", dbl(t0, 1, "...", "x"), dbl(t0, 2, "", "x"), dbl(t0, 3, "ok", "x"))),
			want:     []string{`{__name__="g", ` + svc + `, ok="x"} ` + tsMs + ` 3`},
			accepted: 1,
			rejected: map[Reason]int64{ReasonInvalidName: 2},
			msg:      `attribute key "..." normalises to "_"`,
		},
		{
			name:     "metric names without valid characters are rejected",
			req:      one(gauge("...", "", dbl(t0, 1)), gauge("", "", dbl(t0, 1))),
			rejected: map[Reason]int64{ReasonInvalidName: 2},
		},
		{
			name: "scope labels",
			req: request(resourceMetrics(attrs("service.name", "api"), &metricspb.ScopeMetrics{
				Scope:     &commonpb.InstrumentationScope{Name: "io.lib", Version: "1.2.0", Attributes: attrs("team", "a", "empty", "")},
				SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
				Metrics:   []*metricspb.Metric{gauge("g", "", dbl(t0, 1, "otel_scope_name", "point"))},
			})),
			want: []string{`{__name__="g", job="api", otel_scope_name="io.lib", otel_scope_schema_url="https://opentelemetry.io/schemas/1.26.0", ` +
				`otel_scope_team="a", otel_scope_version="1.2.0"} ` + tsMs + ` 1`},
			accepted: 1,
		},
		{
			name: "target_info carries the other resource attributes",
			req: request(resourceMetrics(
				attrs("service.name", "api", "host.name", "h1", "k8s.pod.name", "p-1"),
				scopeMetrics("lib", "", gauge("g", "", dbl(t0, 1), dbl(t0+300_000_000_000, 2))))),
			want: []string{
				`{__name__="g", job="api", otel_scope_name="lib"} ` + tsMs + ` 1`,
				`{__name__="g", job="api", otel_scope_name="lib"} t=1700000300000 2`,
				`{__name__="target_info", host_name="h1", job="api", k8s_pod_name="p-1"} ` + tsMs + ` 1`,
				`{__name__="target_info", host_name="h1", job="api", k8s_pod_name="p-1"} t=1700000150000 1`,
				`{__name__="target_info", host_name="h1", job="api", k8s_pod_name="p-1"} t=1700000300000 1`,
			},
			accepted: 2,
		},
		{
			name: "no target_info without job or instance",
			req: request(resourceMetrics(attrs("host.name", "h1"),
				scopeMetrics("", "", gauge("g", "", dbl(t0, 1))))),
			want:     []string{`{__name__="g"} ` + tsMs + ` 1`},
			accepted: 1,
		},
		{
			name: "exemplars",
			req: one(
				sum("c", "", true, cumulative, &metricspb.NumberDataPoint{TimeUnixNano: t0,
					Value: &metricspb.NumberDataPoint_AsInt{AsInt: 5}, Exemplars: []*metricspb.Exemplar{ex(3, "user", "u1")}}),
				hist("h", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3,
					ExplicitBounds: []float64{1, 10}, BucketCounts: []uint64{1, 1, 1},
					Exemplars: []*metricspb.Exemplar{ex(50), ex(0.5), ex(10)}}),
				gauge("g", "", &metricspb.NumberDataPoint{TimeUnixNano: t0,
					Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1}, Exemplars: []*metricspb.Exemplar{ex(1)}}),
			),
			want: []string{
				`{__name__="c_total", ` + svc + `} ` + tsMs + ` 5 ex={span_id="` + span + `", trace_id="` + trace + `", user="u1"}:3@1700000000000`,
				`{__name__="h_count", ` + svc + `} ` + tsMs + ` 3`,
				`{__name__="h_bucket", ` + svc + `, le="1"} ` + tsMs + ` 1 ex=` + exLabels + `:0.5@1700000000000`,
				`{__name__="h_bucket", ` + svc + `, le="10"} ` + tsMs + ` 2 ex=` + exLabels + `:10@1700000000000`,
				`{__name__="h_bucket", ` + svc + `, le="+Inf"} ` + tsMs + ` 3 ex=` + exLabels + `:50@1700000000000`,
				`{__name__="g", ` + svc + `} ` + tsMs + ` 1`,
			},
			accepted: 3,
		},
		{
			name:     "metric without data",
			req:      one(&metricspb.Metric{Name: "nothing"}),
			msg:      `metric "nothing": metric has no data of a known type`,
			accepted: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &recorder{}
			res, err := Translate(app, tc.req, tc.opts)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			if got := sampleStrings(app.pending); !slices.Equal(got, tc.want) {
				t.Errorf("samples:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
			var rejected int64
			for _, n := range tc.rejected {
				rejected += n
			}
			if res.Accepted != tc.accepted || res.Rejected != rejected {
				t.Errorf("accepted %d, rejected %d; want %d, %d", res.Accepted, res.Rejected, tc.accepted, rejected)
			}
			if !maps.Equal(res.Rejections, tc.rejected) {
				t.Errorf("rejections %v, want %v", res.Rejections, tc.rejected)
			}
			if int(res.Samples) != len(app.pending) {
				t.Errorf("Samples = %d, appended %d", res.Samples, len(app.pending))
			}
			switch {
			case tc.msg != "" && !strings.Contains(res.Message, tc.msg):
				t.Errorf("message %q, want it to contain %q", res.Message, tc.msg)
			case tc.msg == "" && rejected == 0 && res.Message != "":
				t.Errorf("message %q, want none", res.Message)
			}
		})
	}
}

func TestTranslateMetadata(t *testing.T) {
	req := request(resourceMetrics(attrs("service.name", "api", "host.name", "h"), scopeMetrics("", "",
		&metricspb.Metric{Name: "http.duration", Unit: "ms", Description: "How long requests take.",
			Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{AggregationTemporality: cumulative,
				DataPoints: []*metricspb.HistogramDataPoint{{TimeUnixNano: t0, Count: 1, Sum: ptr(1.0)}}}}},
		sum("io", "By/s", true, cumulative, dbl(t0, 1)),
		sum("depth", "1", false, cumulative, dbl(t0, 1)),
		gauge("load", "1", dbl(t0, 1)),
		summary("sz", "KiBy", &metricspb.SummaryDataPoint{TimeUnixNano: t0}),
		expHist("eh", "", cumulative, &metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0}),
	)))
	app := &recorder{}
	if _, err := Translate(app, req, TranslateOptions{}); err != nil {
		t.Fatal(err)
	}
	type meta struct {
		family string
		md     metadata.Metadata
	}
	got := map[string]meta{}
	for _, s := range app.pending {
		got[s.ls.Get(model.MetricNameLabel)] = meta{s.opts.MetricFamilyName, s.opts.Metadata}
	}
	want := map[string]meta{
		"http_duration_milliseconds_sum":    {"http_duration_milliseconds", metadata.Metadata{Type: model.MetricTypeHistogram, Unit: "milliseconds", Help: "How long requests take."}},
		"http_duration_milliseconds_count":  {"http_duration_milliseconds", metadata.Metadata{Type: model.MetricTypeHistogram, Unit: "milliseconds", Help: "How long requests take."}},
		"http_duration_milliseconds_bucket": {"http_duration_milliseconds", metadata.Metadata{Type: model.MetricTypeHistogram, Unit: "milliseconds", Help: "How long requests take."}},
		"io_bytes_per_second_total":         {"io_bytes_per_second_total", metadata.Metadata{Type: model.MetricTypeCounter, Unit: "bytes_per_second"}},
		"depth":                             {"depth", metadata.Metadata{Type: model.MetricTypeGauge}},
		"load_ratio":                        {"load_ratio", metadata.Metadata{Type: model.MetricTypeGauge}},
		"sz_kibibytes_sum":                  {"sz_kibibytes", metadata.Metadata{Type: model.MetricTypeSummary, Unit: "kibibytes"}},
		"sz_kibibytes_count":                {"sz_kibibytes", metadata.Metadata{Type: model.MetricTypeSummary, Unit: "kibibytes"}},
		"eh":                                {"eh", metadata.Metadata{Type: model.MetricTypeHistogram}},
		"target_info":                       {"target_info", metadata.Metadata{Type: model.MetricTypeGauge, Help: "Target metadata"}},
	}
	if !maps.Equal(got, want) {
		t.Errorf("metadata:\n got %v\nwant %v", got, want)
	}
}

func TestTranslateStorageRefusals(t *testing.T) {
	refuse := map[string]error{
		"ooo":       storage.ErrOutOfOrderSample,
		"old":       storage.ErrOutOfBounds,
		"dup":       storage.ErrDuplicateSampleForTimestamp,
		"nh":        storage.ErrNativeHistogramsDisabled,
		"exemplars": &storage.AppendPartialError{ExemplarErrors: []storage.ExemplarError{{Err: storage.ErrOutOfOrderExemplar}}},
	}
	st := &store{appendErr: func(ls labels.Labels) error {
		if ls.Get("le") == "1" {
			return histogram.ErrHistogramCountMismatch
		}
		return refuse[ls.Get("k")]
	}}
	app := st.AppenderV2(t.Context()).(*recorder)
	req := one(
		gauge("g", "", dbl(t0, 1, "k", "ooo"), dbl(t0, 2, "k", "old"), dbl(t0, 3, "k", "dup"), dbl(t0, 4, "k", "nh"),
			dbl(t0, 5, "k", "exemplars"), dbl(t0, 6, "k", "fine")),
		// One refused bucket refuses the whole data point, but the other
		// series are still written.
		hist("h", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 1,
			ExplicitBounds: []float64{1}, BucketCounts: []uint64{1, 0}}),
	)
	res, err := Translate(app, req, TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Reason]int64{ReasonOutOfOrder: 1, ReasonTooOld: 1, ReasonDuplicate: 1, ReasonStorageRejected: 2}
	if !maps.Equal(res.Rejections, want) || res.Accepted != 2 || res.ExemplarsRejected != 1 {
		t.Errorf("got %+v, want rejections %v, 2 accepted, 1 exemplar rejected", res, want)
	}
	// Of the histogram, all but the refused bucket is written.
	var hist []string
	for _, s := range app.pending {
		if name := s.ls.Get(model.MetricNameLabel); strings.HasPrefix(name, "h_") {
			hist = append(hist, name+"{le="+s.ls.Get("le")+"}")
		}
	}
	if want := []string{"h_count{le=}", "h_bucket{le=+Inf}"}; !slices.Equal(hist, want) {
		t.Errorf("histogram series %v, want %v", hist, want)
	}
	if !strings.Contains(res.Message, `metric "g": storage refused a sample: out of order (1 data point)`) {
		t.Errorf("message %q", res.Message)
	}

	// Any other error stops the translation.
	boom := errors.New("disk on fire")
	st.appendErr = func(labels.Labels) error { return boom }
	if _, err := Translate(st.AppenderV2(t.Context()), req, TranslateOptions{}); !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

func TestTranslateTargetInfo(t *testing.T) {
	host := attrs("service.name", "api", "host.name", "h1")
	tests := []struct {
		name string
		req  *colmetricspb.ExportMetricsServiceRequest
		want []int64 // target_info timestamps
	}{
		{
			name: "repeated resource is written once",
			req: request(
				resourceMetrics(host, scopeMetrics("", "", gauge("a", "", dbl(t0, 1)))),
				resourceMetrics(host, scopeMetrics("", "", gauge("b", "", dbl(t0, 1)))),
			),
			want: []int64{t0ms},
		},
		{
			name: "rejected points do not count",
			req: request(resourceMetrics(host, scopeMetrics("", "",
				gauge("a", "", dbl(t0, 1), dbl(0, 1), &metricspb.NumberDataPoint{TimeUnixNano: t0 + 1e12})))),
			want: []int64{t0ms},
		},
		{
			name: "nothing accepted, nothing written",
			req:  request(resourceMetrics(host, scopeMetrics("", "", sum("a", "", true, delta, dbl(t0, 1))))),
		},
		{
			name: "long spans are capped",
			req: request(resourceMetrics(host, scopeMetrics("", "",
				gauge("a", "", dbl(t0, 1), dbl(t0+uint64(1000*targetInfoInterval)*nanosPerMilli, 1))))),
			want: func() []int64 {
				var ts []int64
				last := t0ms + 1000*targetInfoInterval
				for i := maxTargetInfoSamples - 1; i >= 0; i-- {
					ts = append(ts, last-int64(i)*targetInfoInterval)
				}
				return ts
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &recorder{}
			if _, err := Translate(app, tc.req, TranslateOptions{}); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, s := range app.pending {
				if s.ls.Get(model.MetricNameLabel) == targetInfoName {
					got = append(got, s.t)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("target_info at %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTranslateMessageIsBounded(t *testing.T) {
	var ms []*metricspb.Metric
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", strings.Repeat("x", 1000)} {
		ms = append(ms, sum(name, "", true, delta, dbl(t0, 1), dbl(t0, 2)))
	}
	res, err := Translate(&recorder{}, one(ms...), TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `metric "a": delta aggregation temporality is not supported (2 data points); ` +
		`metric "b": delta aggregation temporality is not supported (2 data points); ` +
		`metric "c": delta aggregation temporality is not supported (2 data points); ` +
		`metric "d": delta aggregation temporality is not supported (2 data points); ` +
		`metric "e": delta aggregation temporality is not supported (2 data points); ` +
		`6 more data points rejected for other problems`
	if res.Message != want {
		t.Errorf("message\n got %q\nwant %q", res.Message, want)
	}
	if res.Rejected != 16 {
		t.Errorf("rejected %d, want 16", res.Rejected)
	}
}

func TestNativeBuckets(t *testing.T) {
	tests := []struct {
		name   string
		offset int32
		counts []uint64
		down   int32
		spans  []histogram.Span
		deltas []int64
	}{
		{name: "empty"},
		{name: "all zero", counts: []uint64{0, 0}},
		{name: "contiguous", counts: []uint64{1, 2, 3}, spans: []histogram.Span{{Offset: 1, Length: 3}}, deltas: []int64{1, 1, 1}},
		{name: "leading zeros", counts: []uint64{0, 0, 5}, spans: []histogram.Span{{Offset: 3, Length: 1}}, deltas: []int64{5}},
		{name: "small gap is filled", counts: []uint64{1, 0, 0, 1}, spans: []histogram.Span{{Offset: 1, Length: 4}}, deltas: []int64{1, -1, 0, 1}},
		{name: "large gap starts a span", counts: []uint64{1, 0, 0, 0, 1}, spans: []histogram.Span{{Offset: 1, Length: 1}, {Offset: 3, Length: 1}}, deltas: []int64{1, 0}},
		{name: "negative offset", offset: -3, counts: []uint64{2}, spans: []histogram.Span{{Offset: -2, Length: 1}}, deltas: []int64{2}},
		{name: "downscale by 2", counts: []uint64{1, 1, 1, 1, 1}, down: 2, spans: []histogram.Span{{Offset: 1, Length: 2}}, deltas: []int64{4, -3}},
		// OTLP indexes -5..-1 at scale s are -2, -1, -1, -1, -1 at s-2.
		{name: "downscale negative", offset: -5, counts: []uint64{1, 1, 1, 1, 1}, down: 2, spans: []histogram.Span{{Offset: -1, Length: 2}}, deltas: []int64{1, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans, deltas, err := nativeBuckets(&metricspb.ExponentialHistogramDataPoint_Buckets{Offset: tc.offset, BucketCounts: tc.counts}, tc.down)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(spans, tc.spans) || !slices.Equal(deltas, tc.deltas) {
				t.Errorf("got %v %v, want %v %v", spans, deltas, tc.spans, tc.deltas)
			}
		})
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{"s", "s"},
		{true, "true"},
		{-3, "-3"},
		{1.0, "1"},
		{0.1, "0.1"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{1e-7, "1e-7"},
		{math.NaN(), "NaN"},
		{math.Inf(-1), "-Inf"},
		{[]byte{0xff, 0x00}, "/wA="},
		{nil, ""},
		{&commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 3}}, ""},
		{&commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{
			anyValue("<&>"), anyValue(math.NaN()), nil, anyValue(false)}}}}, `["\u003c\u0026\u003e","NaN",null,false]`},
		{&commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: attrs("b", 1, "a", 2, "b", 3)}}}, `{"a":2,"b":3}`},
	}
	for _, tc := range tests {
		if got := valueString(anyValue(tc.v)); got != tc.want {
			t.Errorf("valueString(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestTranslateExpansionLimit(t *testing.T) {
	long := strings.Repeat("v", 10<<10)
	bounds := make([]float64, 1000)
	for i := range bounds {
		bounds[i] = float64(i)
	}
	req := request(resourceMetrics(attrs("service.name", "api", "host.name", long), scopeMetrics("", "",
		hist("h", "", cumulative, &metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 0,
			ExplicitBounds: bounds, BucketCounts: make([]uint64, len(bounds)+1), Attributes: attrs("big", long)}),
		gauge("g", "", dbl(t0, 1)),
	)))
	app := &recorder{}
	res, err := Translate(app, req, TranslateOptions{MaxLabelBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejections[ReasonExpansionLimit] != 1 || res.Accepted != 1 {
		t.Errorf("result %+v, want the histogram rejected and the gauge accepted", res)
	}
	if want := `metric "h": request expands into more than 1048576 bytes of labels (1 data point)`; !strings.Contains(res.Message, want) {
		t.Errorf("message %q, want it to contain %q", res.Message, want)
	}
	// target_info, with its 10 KiB attribute, still fits.
	if got := sampleStrings(app.pending); len(got) != 2 || !strings.HasPrefix(got[1], `{__name__="target_info"`) {
		t.Errorf("samples %.200q", got)
	}

	// Without a bound everything is written.
	app = &recorder{}
	if res, err := Translate(app, req, TranslateOptions{}); err != nil || res.Rejected != 0 || len(app.pending) != 1004 {
		t.Errorf("without a bound: %+v, %v, %d samples", res, err, len(app.pending))
	}
}

func TestTranslateManyCollidingKeys(t *testing.T) {
	// 40,000 distinct keys that all become the label name "a_". Joining
	// their values must take linear time.
	const n = 40_000
	kvs := make([]*commonpb.KeyValue, 0, n)
	for i := range n {
		key := "a" + string(rune(0x4e00+i/200)) + string(rune(0x4e00+i%200))
		kvs = append(kvs, &commonpb.KeyValue{Key: key, Value: anyValue("v")})
	}
	dp := dbl(t0, 1)
	dp.Attributes = kvs
	app := &recorder{}
	if _, err := Translate(app, one(gauge("g", "", dp)), TranslateOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(app.pending) != 1 {
		t.Fatalf("%d samples, want 1", len(app.pending))
	}
	if got, want := app.pending[0].ls.Get("a_"), strings.TrimSuffix(strings.Repeat("v;", n), ";"); got != want {
		t.Errorf("a_ has %d bytes, want %d", len(got), len(want))
	}
}

func TestJoinValues(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a;b"},
		{[]string{"", "a", "", "b"}, "a;;b"},
		{[]string{"", ""}, ""},
		{[]string{"a", ""}, "a;"},
	}
	for _, tc := range tests {
		var as []attr
		for _, v := range tc.values {
			as = append(as, attr{value: v})
		}
		if got := joinValues(as); got != tc.want {
			t.Errorf("joinValues(%q) = %q, want %q", tc.values, got, tc.want)
		}
	}
}
