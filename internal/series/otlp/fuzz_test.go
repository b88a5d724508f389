package otlp

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora of FuzzDecodeProtobuf and FuzzDecodeJSON under testdata/fuzz")

// FuzzDecodeProtobuf decodes arbitrary protobuf bodies and translates what
// decodes; neither may panic, and the translation must keep its invariants.
func FuzzDecodeProtobuf(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAndTranslate(t, body, ContentTypeProtobuf)
	})
}

// FuzzDecodeJSON is FuzzDecodeProtobuf for OTLP JSON bodies.
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAndTranslate(t, body, ContentTypeJSON)
	})
}

func decodeAndTranslate(t *testing.T, body []byte, ct string) {
	req, err := Decode(body, ct)
	if err != nil {
		return
	}
	app := &recorder{}
	res, err := Translate(app, req, TranslateOptions{MaxTimestamp: t0ms})
	if err != nil {
		t.Fatalf("Translate into a recorder failed: %v", err)
	}
	checkTranslation(t, req, app.pending, res)
}

// checkTranslation checks what must hold for any translation: every data
// point is accounted for, every sample has valid, unique, non-empty labels
// with a metric name, histograms are valid, exemplars are sorted, and the
// result fits in an OTLP response.
func checkTranslation(t *testing.T, req *colmetricspb.ExportMetricsServiceRequest, samples []recorded, res Result) {
	t.Helper()
	if points := countPoints(req); res.Accepted+res.Rejected != points {
		t.Errorf("accepted %d + rejected %d != %d data points", res.Accepted, res.Rejected, points)
	}
	var byReason int64
	for _, n := range res.Rejections {
		byReason += n
	}
	if byReason != res.Rejected {
		t.Errorf("rejections by reason add up to %d, rejected is %d", byReason, res.Rejected)
	}
	if res.Samples != int64(len(samples)) {
		t.Errorf("Samples = %d, appended %d", res.Samples, len(samples))
	}
	for _, s := range samples {
		checkLabels(t, s.ls)
		if !model.IsValidLegacyMetricName(s.ls.Get(model.MetricNameLabel)) {
			t.Errorf("%s: invalid metric name", s.ls)
		}
		if s.fh != nil {
			t.Errorf("%s: unexpected float histogram", s.ls)
		}
		if s.h != nil && !value.IsStaleNaN(s.h.Sum) {
			if err := s.h.Validate(); err != nil {
				t.Errorf("%s: invalid histogram %v: %v", s.ls, s.h, err)
			}
		}
		if s.t > t0ms || s.t < 0 {
			t.Errorf("%s: timestamp %d outside [0, %d]", s.ls, s.t, t0ms)
		}
		if !slices.IsSortedFunc(s.opts.Exemplars, exemplar.Compare) {
			t.Errorf("%s: exemplars not sorted", s.ls)
		}
		for _, e := range s.opts.Exemplars {
			if l, dup := e.Labels.HasDuplicateLabelNames(); dup {
				t.Errorf("%s: exemplar label %q repeated", s.ls, l)
			}
		}
	}
	if !utf8.ValidString(res.Message) || len(res.Message) > 4096 {
		t.Errorf("message is not short valid UTF-8: %q", res.Message)
	}
	resp := &colmetricspb.ExportMetricsServiceResponse{PartialSuccess: &colmetricspb.ExportMetricsPartialSuccess{
		RejectedDataPoints: res.Rejected, ErrorMessage: res.Message,
	}}
	if _, err := proto.Marshal(resp); err != nil {
		t.Errorf("response does not encode: %v", err)
	}
}

func checkLabels(t *testing.T, ls labels.Labels) {
	t.Helper()
	prev := ""
	ls.Range(func(l labels.Label) {
		if l.Name <= prev {
			t.Errorf("%s: label %q out of order or repeated", ls, l.Name)
		}
		prev = l.Name
		if !model.LabelName(l.Name).IsValidLegacy() {
			t.Errorf("%s: invalid label name %q", ls, l.Name)
		}
		if l.Value == "" {
			t.Errorf("%s: empty value for %q", ls, l.Name)
		}
	})
}

func countPoints(req *colmetricspb.ExportMetricsServiceRequest) int64 {
	var n int
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				switch d := m.GetData().(type) {
				case *metricspb.Metric_Gauge:
					n += len(d.Gauge.GetDataPoints())
				case *metricspb.Metric_Sum:
					n += len(d.Sum.GetDataPoints())
				case *metricspb.Metric_Histogram:
					n += len(d.Histogram.GetDataPoints())
				case *metricspb.Metric_ExponentialHistogram:
					n += len(d.ExponentialHistogram.GetDataPoints())
				case *metricspb.Metric_Summary:
					n += len(d.Summary.GetDataPoints())
				}
			}
		}
	}
	return int64(n)
}

// seedRequests are the requests the seed corpora are made of: every metric
// type, valid and invalid.
func seedRequests() map[string]*colmetricspb.ExportMetricsServiceRequest {
	traceID := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	return map[string]*colmetricspb.ExportMetricsServiceRequest{
		"fixture": fixtureRequest(),
		"empty":   {},
		"gauges": one(
			gauge("memory.usage", "By", dbl(t0, 1.5, "host.name", "h1", "a.b", "x", "a_b", "y")),
			gauge("cpu", "1", integer(t0, 3), &metricspb.NumberDataPoint{TimeUnixNano: t0, Flags: noValue}),
			gauge("nan", "", dbl(t0, math.NaN()), dbl(t0, math.Inf(1)), dbl(0, 1), &metricspb.NumberDataPoint{TimeUnixNano: t0}),
		),
		"sums": one(
			sum("requests", "{request}", true, cumulative, integer(t0, 10, "route", "/"),
				&metricspb.NumberDataPoint{TimeUnixNano: t0, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 1},
					Exemplars: []*metricspb.Exemplar{{TimeUnixNano: t0, TraceId: traceID, Value: &metricspb.Exemplar_AsInt{AsInt: 1}}}}),
			sum("queue", "", false, cumulative, integer(t0, 3)),
			sum("deltas", "", true, delta, integer(t0, 3)),
		),
		"histograms": one(hist("latency", "s", cumulative,
			&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3, Sum: ptr(1.0), ExplicitBounds: []float64{0.1, 1}, BucketCounts: []uint64{1, 1, 1},
				Exemplars: []*metricspb.Exemplar{{TimeUnixNano: t0, Value: &metricspb.Exemplar_AsDouble{AsDouble: 0.5}}}},
			&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3, ExplicitBounds: []float64{1, math.Inf(1)}, BucketCounts: []uint64{1, 2, 0}},
			&metricspb.HistogramDataPoint{TimeUnixNano: t0, Count: 3, ExplicitBounds: []float64{1}, BucketCounts: []uint64{1}},
		)),
		"exponential": one(expHist("size", "By", cumulative,
			&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Count: 4, Sum: ptr(10.0), Scale: 12, ZeroCount: 1,
				Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: -3, BucketCounts: []uint64{1, 0, 0, 0, 1}},
				Negative: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 2, BucketCounts: []uint64{1}}},
			&metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Scale: -10},
		)),
		"summaries": one(summary("rpc", "ms",
			&metricspb.SummaryDataPoint{TimeUnixNano: t0, Count: 2, Sum: 3,
				QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 1}, {Quantile: 1, Value: 2}}},
			&metricspb.SummaryDataPoint{TimeUnixNano: t0, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 2}}},
		)),
		"resources": request(
			resourceMetrics(attrs("service.name", "a", "host", "h", "list", &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{
				ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{anyValue(1)}}}}),
				&metricspb.ScopeMetrics{Scope: &commonpb.InstrumentationScope{Name: "lib", Attributes: attrs("k", "v")},
					Metrics: []*metricspb.Metric{gauge("g", "", dbl(t0, 1))}}),
			resourceMetrics(attrs("service.instance.id", "i", "", "empty key"), scopeMetrics("", "", gauge("g", "", dbl(t0, 1, "...", "x")))),
		),
	}
}

// jsonSeeds are hand-written OTLP JSON seeds beyond the protojson renderings
// of seedRequests.
var jsonSeeds = map[string]string{
	"hex-ids":     `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"c","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":1,"exemplars":[{"asDouble":1,"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}}]}]}]}`,
	"escaped-key": `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"c\u002e1","gauge":{"dataPoints":[{"timeUnixNano":1700000000000000000,"asDouble":"Infinity","exemplars":[{"trace\u0049d":"00"}]}]}}]}]}]}`,
	"numbers":     `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[{"timeUnixNano":"1700000000000000000","count":2,"bucketCounts":[1,"1"],"explicitBounds":[1e0]}]}}]}]}]}`,
	"unknown":     `{"resourceMetrics":[],"extra":{"nested":[1,2,{"traceId":"zz"}]}}`,
}

// TestWriteFuzzCorpus rewrites the seed corpora when run with
// -update-corpus, and otherwise checks that they are there.
func TestWriteFuzzCorpus(t *testing.T) {
	pbDir := filepath.Join("testdata", "fuzz", "FuzzDecodeProtobuf")
	jsonDir := filepath.Join("testdata", "fuzz", "FuzzDecodeJSON")
	if !*updateCorpus {
		for _, dir := range []string{pbDir, jsonDir} {
			if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
				t.Errorf("seed corpus %s is missing (%v); run go test -run TestWriteFuzzCorpus . -args -update-corpus", dir, err)
			}
		}
		return
	}
	for _, dir := range []string{pbDir, jsonDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(dir, name string, body []byte) {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", body)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, req := range seedRequests() {
		write(pbDir, name, marshal(t, req))
		// protojson writes bytes in base64, which OTLP JSON does not use
		// for IDs; leave the IDs to the hand-written seeds.
		req = proto.CloneOf(req)
		stripIDs(req)
		b, err := protojson.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		// protojson varies its spacing from build to build; compact it so
		// that the seeds do not change with the Go version.
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		write(jsonDir, name, compact.Bytes())
	}
	write(jsonDir, "metrics-json", readFixture(t))
	for name, s := range jsonSeeds {
		write(jsonDir, name, []byte(s))
	}
}

func stripIDs(req *colmetricspb.ExportMetricsServiceRequest) {
	strip := func(exs []*metricspb.Exemplar) {
		for _, e := range exs {
			e.TraceId, e.SpanId = nil, nil
		}
	}
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, dp := range m.GetSum().GetDataPoints() {
					strip(dp.GetExemplars())
				}
				for _, dp := range m.GetGauge().GetDataPoints() {
					strip(dp.GetExemplars())
				}
				for _, dp := range m.GetHistogram().GetDataPoints() {
					strip(dp.GetExemplars())
				}
				for _, dp := range m.GetExponentialHistogram().GetDataPoints() {
					strip(dp.GetExemplars())
				}
			}
		}
	}
}

// TestSeedRequestsKeepInvariants runs the invariant checks over the seeds
// directly, so that a broken invariant shows up without fuzzing.
func TestSeedRequestsKeepInvariants(t *testing.T) {
	for name, req := range seedRequests() {
		t.Run(name, func(t *testing.T) {
			app := &recorder{}
			res, err := Translate(app, req, TranslateOptions{MaxTimestamp: t0ms})
			if err != nil {
				t.Fatal(err)
			}
			checkTranslation(t, req, app.pending, res)
		})
	}
}
