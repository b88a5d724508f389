package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// fixedNow is the clock of handler tests: shortly after t0.
func fixedNow() time.Time { return time.Unix(0, int64(t0)).Add(time.Minute) }

func newTestHandler(t *testing.T, st *store, opts Options) (*Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	return NewHandler(st, opts), reg
}

func post(h http.Handler, contentType, encoding string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/metrics", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeResponse(t *testing.T, rec *httptest.ResponseRecorder) *colmetricspb.ExportMetricsServiceResponse {
	t.Helper()
	resp := &colmetricspb.ExportMetricsServiceResponse{}
	var err error
	switch ct := rec.Header().Get("Content-Type"); ct {
	case ContentTypeProtobuf:
		err = proto.Unmarshal(rec.Body.Bytes(), resp)
	case ContentTypeJSON:
		err = protojson.Unmarshal(rec.Body.Bytes(), resp)
	default:
		t.Fatalf("response content type %q", ct)
	}
	if err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return resp
}

func TestHandlerPartialSuccess(t *testing.T) {
	for _, ct := range []string{ContentTypeProtobuf, ContentTypeJSON} {
		t.Run(ct, func(t *testing.T) {
			st := &store{}
			h, _ := newTestHandler(t, st, Options{})
			body := marshal(t, fixtureRequest())
			if ct == ContentTypeJSON {
				body = readFixture(t)
			}
			rec := post(h, ct, "", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			ps := decodeResponse(t, rec).GetPartialSuccess()
			if ps.GetRejectedDataPoints() != 1 || !strings.Contains(ps.GetErrorMessage(), `metric "queue.length": delta aggregation temporality`) {
				t.Errorf("partial success %v, want 1 rejected delta point", ps)
			}
			if n := len(st.samples()); n != 15 {
				t.Errorf("%d samples stored, want 15", n)
			}
			if testutil.ToFloat64(h.metrics.points.WithLabelValues(resultAccepted)) != 7 ||
				testutil.ToFloat64(h.metrics.points.WithLabelValues(resultRejected)) != 1 ||
				testutil.ToFloat64(h.metrics.rejected.WithLabelValues(string(ReasonDeltaTemporality))) != 1 ||
				testutil.ToFloat64(h.metrics.samples) != 15 ||
				testutil.ToFloat64(h.metrics.requests.WithLabelValues("200")) != 1 {
				t.Error("metrics do not count the request")
			}
		})
	}
}

func TestHandlerFullSuccess(t *testing.T) {
	st := &store{}
	h, _ := newTestHandler(t, st, Options{})
	body, err := protojson.Marshal(one(gauge("g", "", dbl(t0, 1))))
	if err != nil {
		t.Fatal(err)
	}
	rec := post(h, "application/json; charset=utf-8", "", body)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if resp := decodeResponse(t, rec); resp.PartialSuccess != nil {
		t.Errorf("partial success %v on full success", resp.PartialSuccess)
	}
	if got := sampleStrings(st.samples()); !slices.Equal(got, []string{`{__name__="g", ` + svc + `} ` + tsMs + ` 1`}) {
		t.Errorf("stored %v", got)
	}
}

func TestHandlerGzip(t *testing.T) {
	plain, zipped := &store{}, &store{}
	h1, _ := newTestHandler(t, plain, Options{})
	h2, _ := newTestHandler(t, zipped, Options{})
	body := readFixture(t)
	if rec := post(h1, ContentTypeJSON, "", body); rec.Code != http.StatusOK {
		t.Fatalf("plain: status %d: %s", rec.Code, rec.Body)
	}
	// Twice, so that the second request reuses the pooled reader.
	for range 2 {
		if rec := post(h2, ContentTypeJSON, "GZIP", gzipped(t, body)); rec.Code != http.StatusOK {
			t.Fatalf("gzip: status %d: %s", rec.Code, rec.Body)
		}
	}
	got, want := sampleStrings(zipped.samples()), sampleStrings(plain.samples())
	if !slices.Equal(got[:len(want)], want) || !slices.Equal(got[len(want):], want) {
		t.Errorf("gzip gives different samples:\n got %v\nwant %v", got, want)
	}
}

func TestHandlerErrors(t *testing.T) {
	valid := marshal(t, one(gauge("g", "", dbl(t0, 1))))
	bomb := gzipped(t, make([]byte, 10<<10)) // 10 KiB of zeros in a few dozen bytes
	boom := errors.New("disk on fire")

	tests := []struct {
		name          string
		method        string
		ct, encoding  string
		body          []byte
		chunked       bool
		st            *store
		want          int
		wantRollbacks int
		wantCommits   int
	}{
		{name: "GET", method: http.MethodGet, ct: ContentTypeProtobuf, want: http.StatusMethodNotAllowed},
		{name: "PUT", method: http.MethodPut, ct: ContentTypeProtobuf, body: valid, want: http.StatusMethodNotAllowed},
		{name: "no content type", body: valid, want: http.StatusUnsupportedMediaType},
		{name: "text content type", ct: "text/plain", body: valid, want: http.StatusUnsupportedMediaType},
		{name: "brotli", ct: ContentTypeProtobuf, encoding: "br", body: valid, want: http.StatusUnsupportedMediaType},
		{name: "garbage protobuf", ct: ContentTypeProtobuf, body: []byte{0xff, 0xff, 0xff}, want: http.StatusBadRequest},
		{name: "garbage JSON", ct: ContentTypeJSON, body: []byte("{"), want: http.StatusBadRequest},
		{name: "not gzip", ct: ContentTypeProtobuf, encoding: "gzip", body: valid, want: http.StatusBadRequest},
		{name: "truncated gzip", ct: ContentTypeProtobuf, encoding: "gzip", body: gzipped(t, valid)[:20], want: http.StatusBadRequest},
		{name: "declared length over limit", ct: ContentTypeProtobuf, body: make([]byte, 2<<10), want: http.StatusRequestEntityTooLarge},
		{name: "chunked body over limit", ct: ContentTypeProtobuf, body: make([]byte, 2<<10), chunked: true, want: http.StatusRequestEntityTooLarge},
		{name: "gzip bomb", ct: ContentTypeProtobuf, encoding: "gzip", body: bomb, want: http.StatusRequestEntityTooLarge},
		{name: "append fails", ct: ContentTypeProtobuf, body: valid, want: http.StatusInternalServerError,
			st: &store{appendErr: func(labels.Labels) error { return boom }}, wantRollbacks: 1},
		{name: "commit fails", ct: ContentTypeProtobuf, body: valid, want: http.StatusInternalServerError,
			st: &store{commitErr: boom}, wantCommits: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(bomb) >= 1<<10 {
				t.Fatalf("the gzip bomb is %d bytes, not under the limit", len(bomb))
			}
			st := tc.st
			if st == nil {
				st = &store{}
			}
			h, _ := newTestHandler(t, st, Options{MaxBodyBytes: 1 << 10})
			req := httptest.NewRequest(cmpOr(tc.method, http.MethodPost), "/v1/metrics", bytes.NewReader(tc.body))
			if tc.chunked {
				req.ContentLength = -1
			}
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if n := len(st.samples()); n != 0 {
				t.Errorf("%d samples kept, want none", n)
			}
			if st.rollbacks != tc.wantRollbacks || st.commits != tc.wantCommits {
				t.Errorf("%d rollbacks and %d commits, want %d and %d", st.rollbacks, st.commits, tc.wantRollbacks, tc.wantCommits)
			}
			if got := testutil.ToFloat64(h.metrics.requests.WithLabelValues(rec.Result().Status[:3])); got != 1 {
				t.Errorf("vigil_otlp_requests_total{code=%q} = %v, want 1", rec.Result().Status[:3], got)
			}
			checkErrorBody(t, rec, tc.ct)
			if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow header %q", rec.Header().Get("Allow"))
			}
		})
	}
}

// checkErrorBody checks that an error response carries a google.rpc.Status
// in the request's content type, or text where that type is unsupported.
func checkErrorBody(t *testing.T, rec *httptest.ResponseRecorder, requestType string) {
	t.Helper()
	ct := rec.Header().Get("Content-Type")
	if rec.Code == http.StatusMethodNotAllowed || (rec.Code == http.StatusUnsupportedMediaType && ct != requestType) {
		if !strings.HasPrefix(ct, "text/plain") || rec.Body.Len() == 0 {
			t.Errorf("content type %q, body %q; want a text message", ct, rec.Body)
		}
		return
	}
	if ct != requestType {
		t.Fatalf("error content type %q, want %q", ct, requestType)
	}
	var code int64
	var msg string
	if ct == ContentTypeJSON {
		var st struct {
			Code    int64
			Message string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatalf("error body %q: %v", rec.Body, err)
		}
		code, msg = st.Code, st.Message
	} else {
		b := rec.Body.Bytes()
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatalf("error body %q: %v", rec.Body, protowire.ParseError(n))
			}
			b = b[n:]
			switch {
			case num == 1 && typ == protowire.VarintType:
				v, m := protowire.ConsumeVarint(b)
				code, n = int64(v), m
			case num == 2 && typ == protowire.BytesType:
				v, m := protowire.ConsumeString(b)
				msg, n = v, m
			default:
				n = protowire.ConsumeFieldValue(num, typ, b)
			}
			if n < 0 {
				t.Fatalf("error body %q: %v", rec.Body, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if code == 0 || msg == "" {
		t.Errorf("status code %d, message %q; want both", code, msg)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestHandlerRejectsFarFuture(t *testing.T) {
	st := &store{}
	h, _ := newTestHandler(t, st, Options{Now: func() time.Time { return time.Unix(0, int64(t0)).Add(-time.Hour) }})
	rec := post(h, ContentTypeProtobuf, "", marshal(t, one(gauge("g", "", dbl(t0, 1)))))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ps := decodeResponse(t, rec).GetPartialSuccess(); ps.GetRejectedDataPoints() != 1 {
		t.Errorf("partial success %v, want 1 rejected", ps)
	}
	if testutil.ToFloat64(h.metrics.rejected.WithLabelValues(string(ReasonFutureTimestamp))) != 1 {
		t.Error("future timestamp not counted")
	}
}

func TestHandlerMetricsLint(t *testing.T) {
	_, reg := newTestHandler(t, &store{}, Options{})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "vigil_otlp_") {
			t.Errorf("metric %s is not named vigil_otlp_*", mf.GetName())
		}
	}
}

func TestHandlerDefaults(t *testing.T) {
	h := NewHandler(&store{}, Options{})
	if h.maxBody != DefaultMaxBodyBytes || h.logger == nil || h.now == nil {
		t.Errorf("defaults not applied: %+v", h)
	}
	// Nil Registerer registers nothing, so a second handler is fine.
	_ = NewHandler(&store{}, Options{})
	rec := post(h, ContentTypeProtobuf, "", nil)
	if rec.Code != http.StatusOK {
		t.Errorf("empty request: status %d: %s", rec.Code, rec.Body)
	}
	body, _ := io.ReadAll(rec.Body)
	if len(body) != 0 {
		t.Errorf("empty request: response %q, want an empty message", body)
	}
}
