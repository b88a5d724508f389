package otlp

import (
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/slim/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// fixtureRequest is testdata/metrics.json built in Go.
func fixtureRequest() *colmetricspb.ExportMetricsServiceRequest {
	traceID := []byte{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}
	spanID := []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74}
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: &resourcepb.Resource{Attributes: attrs(
			"service.name", "checkout", "service.namespace", "shop", "service.instance.id", "pod-7",
			"host.name", "node-1", "host.cpus", 8)},
		ScopeMetrics: []*metricspb.ScopeMetrics{{
			Scope:     &commonpb.InstrumentationScope{Name: "io.opentelemetry.http", Version: "1.2.0"},
			SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
			Metrics: []*metricspb.Metric{
				{
					Name: "http.server.request.count", Unit: "{request}", Description: "Requests served.",
					Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{AggregationTemporality: cumulative, IsMonotonic: true,
						DataPoints: []*metricspb.NumberDataPoint{{
							Attributes:        attrs("http.route", "/cart", "http.status_code", 200),
							StartTimeUnixNano: start, TimeUnixNano: t0,
							Value: &metricspb.NumberDataPoint_AsInt{AsInt: 1027},
							Exemplars: []*metricspb.Exemplar{{
								TimeUnixNano: t0 - 500_000_000, Value: &metricspb.Exemplar_AsDouble{AsDouble: 1},
								TraceId: traceID, SpanId: spanID, FilteredAttributes: attrs("user", "u-42"),
							}},
						}}}},
				},
				gauge("process.memory.usage", "By",
					&metricspb.NumberDataPoint{TimeUnixNano: t0, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 5.24288e7}},
					&metricspb.NumberDataPoint{TimeUnixNano: t0, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: math.NaN()}, Attributes: attrs("kind", "unknown")},
					&metricspb.NumberDataPoint{TimeUnixNano: t0, Flags: noValue, Attributes: attrs("kind", "gone")},
				),
				hist("http.server.request.duration", "s", cumulative, &metricspb.HistogramDataPoint{
					StartTimeUnixNano: start, TimeUnixNano: t0, Count: 6, Sum: ptr(1.75),
					BucketCounts: []uint64{1, 2, 3}, ExplicitBounds: []float64{0.1, 0.5}, Min: ptr(0.01), Max: ptr(0.9),
					Exemplars: []*metricspb.Exemplar{{TimeUnixNano: t0 - 1_000_000_000, Value: &metricspb.Exemplar_AsDouble{AsDouble: 0.3},
						TraceId: traceID, SpanId: spanID}},
				}),
				expHist("http.server.request.size", "By", cumulative, &metricspb.ExponentialHistogramDataPoint{
					StartTimeUnixNano: start, TimeUnixNano: t0, Count: 10, Sum: ptr(4096.0), Scale: 2, ZeroCount: 1,
					Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 40, BucketCounts: []uint64{3, 0, 6}},
					Negative: &metricspb.ExponentialHistogramDataPoint_Buckets{},
				}),
				summary("rpc.latency", "ms", &metricspb.SummaryDataPoint{
					StartTimeUnixNano: start, TimeUnixNano: t0, Count: 100, Sum: 2500.5,
					QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 20}, {Quantile: 0.99, Value: 180}},
				}),
				sum("queue.length", "", false, delta, &metricspb.NumberDataPoint{TimeUnixNano: t0, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 3}}),
			},
		}},
	}}}
}

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeJSONFixture(t *testing.T) {
	got, err := Decode(readFixture(t), "application/json; charset=utf-8")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, fixtureRequest()) {
		t.Errorf("decoded JSON differs from the expected request:\n got %v\nwant %v", got, fixtureRequest())
	}
}

func TestJSONAndProtobufGiveSameSamples(t *testing.T) {
	pb, err := proto.Marshal(fixtureRequest())
	if err != nil {
		t.Fatal(err)
	}
	translate := func(body []byte, ct string) ([]string, Result) {
		t.Helper()
		req, err := Decode(body, ct)
		if err != nil {
			t.Fatalf("Decode(%s): %v", ct, err)
		}
		app := &recorder{}
		res, err := Translate(app, req, TranslateOptions{})
		if err != nil {
			t.Fatalf("Translate(%s): %v", ct, err)
		}
		return sampleStrings(app.pending), res
	}
	fromJSON, resJSON := translate(readFixture(t), ContentTypeJSON)
	fromPB, resPB := translate(pb, ContentTypeProtobuf)
	if !slices.Equal(fromJSON, fromPB) {
		t.Errorf("JSON and protobuf give different samples:\n json: %s\nproto: %s",
			strings.Join(fromJSON, "\n       "), strings.Join(fromPB, "\n       "))
	}
	if resJSON.Accepted != resPB.Accepted || resJSON.Rejected != resPB.Rejected || resJSON.Message != resPB.Message {
		t.Errorf("JSON result %+v, protobuf result %+v", resJSON, resPB)
	}

	// Spot checks that the fixture means what it should.
	const labels = `http_route="/cart", http_status_code="200", instance="pod-7", job="shop/checkout", ` +
		`otel_scope_name="io.opentelemetry.http", otel_scope_schema_url="https://opentelemetry.io/schemas/1.26.0", otel_scope_version="1.2.0"`
	want := `{__name__="http_server_request_count_total", ` + labels + `} ` + stTs + ` 1027` +
		` ex={span_id="eee19b7ec3c1b174", trace_id="5b8efff798038103d269b633813fc60c", user="u-42"}:1@1699999999500`
	if !slices.Contains(fromJSON, want) {
		t.Errorf("missing %s", want)
	}
	if resJSON.Accepted != 7 || resJSON.Rejected != 1 || resJSON.Rejections[ReasonDeltaTemporality] != 1 {
		t.Errorf("result %+v, want 7 accepted and 1 delta point rejected", resJSON)
	}
	var targetInfo int
	for _, s := range fromJSON {
		if strings.HasPrefix(s, `{__name__="target_info", host_cpus="8", host_name="node-1", instance="pod-7", job="shop/checkout"}`) {
			targetInfo++
		}
	}
	if targetInfo != 1 {
		t.Errorf("%d target_info samples, want 1", targetInfo)
	}
}

func TestMediaType(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"application/x-protobuf", ContentTypeProtobuf},
		{"application/json", ContentTypeJSON},
		{"application/json; charset=utf-8", ContentTypeJSON},
		{"Application/JSON", ContentTypeJSON},
		{"application/x-protobuf ; foo=bar", ContentTypeProtobuf},
		{"", ""},
		{"text/plain", ""},
		{"application/protobuf", ""},
		{"application/json; charset", ""},
	}
	for _, tc := range tests {
		got, err := MediaType(tc.in)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrUnsupportedContentType) {
			t.Errorf("MediaType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := Decode([]byte("{}"), "text/plain"); !errors.Is(err, ErrUnsupportedContentType) {
		t.Errorf("Decode with text/plain: %v, want ErrUnsupportedContentType", err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	invalidUTF8, err := proto.Marshal(&commonpb.KeyValue{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	// Wrap a KeyValue with an invalid UTF-8 key into resource attributes.
	invalidUTF8 = append([]byte{}, invalidUTF8...)
	invalidUTF8[len(invalidUTF8)-1] = 0xff
	body := wrap(1, wrap(1, wrap(1, invalidUTF8)))

	tests := []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"truncated protobuf", ContentTypeProtobuf, []byte{0x0a, 0x05, 0x01}, "decode protobuf metrics request"},
		{"invalid UTF-8 in protobuf", ContentTypeProtobuf, body, "invalid UTF-8"},
		{"not JSON", ContentTypeJSON, []byte("not json"), "decode JSON metrics request"},
		{"wrong JSON type", ContentTypeJSON, []byte(`{"resourceMetrics": {}}`), "unexpected token"},
		{"trace ID not hex", ContentTypeJSON, []byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"c","sum":{"dataPoints":[{"exemplars":[{"traceId":"W47/95gDgQPSabYzgT/GDA=="}]}]}}]}]}]}`), `"traceId" at offset`},
		{"span ID of odd length", ContentTypeJSON, []byte(`{"spanId": "abc"}`), `"spanId" at offset`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.body, tc.ct)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode error %v, want one containing %q", err, tc.want)
			}
			if errors.Is(err, ErrUnsupportedContentType) {
				t.Errorf("a malformed body is not an unsupported content type: %v", err)
			}
		})
	}
}

// wrap encodes msg as field 1 of length-delimited type, for hand-made
// protobuf bodies.
func wrap(field byte, msg []byte) []byte {
	return append([]byte{field<<3 | 2, byte(len(msg))}, msg...)
}

func TestHexIDsToBase64(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"traceId":"5b8e"}`, `{"traceId":"W44="}`},
		{`{ "spanId" :  "00ff" , "x":1}`, `{ "spanId" :  "AP8=" , "x":1}`},
		{`{"trace_id":"","span_id":"0a"}`, `{"trace_id":"","span_id":"Cg=="}`},
		{`{"trace\u0049d":"0a"}`, `{"trace\u0049d":"Cg=="}`},
		{`{"key":"traceId","value":{"stringValue":"zz"}}`, `{"key":"traceId","value":{"stringValue":"zz"}}`},
		{`{"name":"a \"traceId\": \"zz\""}`, `{"name":"a \"traceId\": \"zz\""}`},
		{`{"traceId":null}`, `{"traceId":null}`},
		{`{"traceId":"0a`, `{"traceId":"0a`},
		{`"unterminated`, `"unterminated`},
	}
	for _, tc := range tests {
		got, err := hexIDsToBase64([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("hexIDsToBase64(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	// Without IDs the body is returned as it is, not copied.
	in := []byte(`{"resourceMetrics":[]}`)
	if got, _ := hexIDsToBase64(in); &got[0] != &in[0] {
		t.Error("body without IDs was copied")
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	want := fixtureRequest()
	pb, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(pb, ContentTypeProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("protobuf round trip differs:\n got %v\nwant %v", got, want)
	}
}
