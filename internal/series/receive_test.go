package series

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

func TestRemoteWriteV1RoundTrip(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	t0 := s.now.Add(-time.Minute).Truncate(time.Second)
	body := encodeV1(t,
		series([]string{"__name__", "rows", "pipeline", "orders"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: 100}, prompb.Sample{Timestamp: t0.Add(time.Second).UnixMilli(), Value: 101}),
		series([]string{"__name__", "rows", "pipeline", "users"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: math.Inf(1)}),
		series([]string{"__name__", "rows", "pipeline", "nan"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: math.NaN()}),
	)
	if rec := s.post(t, body, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := s.vector(t, "rows", t0.Add(2*time.Second))
	want := map[string]string{
		`{__name__="rows", pipeline="orders"}`: "101",
		`{__name__="rows", pipeline="users"}`:  "+Inf",
		`{__name__="rows", pipeline="nan"}`:    "NaN",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if n := counter(t, s.reg, "vigil_ingest_samples_total", map[string]string{"result": "accepted"}); n != 4 {
		t.Fatalf("accepted counter = %v, want 4", n)
	}
}

func TestRemoteWriteV2RoundTrip(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	t0 := s.now.Add(-time.Minute)
	req := &writev2.Request{
		Symbols: []string{"", "__name__", "lag_seconds", "pipeline", "orders"},
		Timeseries: []writev2.TimeSeries{{
			LabelsRefs: []uint32{1, 2, 3, 4},
			Samples:    []writev2.Sample{{Value: 3.5, Timestamp: t0.UnixMilli()}},
			Metadata:   writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_GAUGE},
		}},
	}
	raw, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	rec := s.post(t, snappy.Encode(nil, raw), map[string]string{"Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request"})
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("X-Prometheus-Remote-Write-Samples-Written"); got != "1" {
		t.Fatalf("samples written header = %q", got)
	}
	if got := s.vector(t, "lag_seconds", t0); got[`{__name__="lag_seconds", pipeline="orders"}`] != "3.5" {
		t.Fatalf("got %v", got)
	}
}

// TestRemoteWriteBadInput sends every kind of bad request the issue names
// and checks three things each time: a 4xx that names the problem, a
// counter that moved, and that data accepted before is still there.
func TestRemoteWriteBadInput(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	t0 := s.now.Add(-time.Hour).Truncate(time.Minute)
	good := encodeV1(t, series([]string{"__name__", "kept", "a", "b"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: 42}))
	if rec := s.post(t, good, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("good request: %d %s", rec.Code, rec.Body)
	}
	checkKept := func(name string) {
		t.Helper()
		if got := s.vector(t, "kept", t0.Add(time.Second)); got[`{__name__="kept", a="b"}`] != "42" {
			t.Fatalf("%s: data accepted earlier is gone: %v", name, got)
		}
	}
	bigValue := strings.Repeat("x", 10<<20)
	ts := func(off time.Duration) int64 { return t0.Add(off).UnixMilli() }

	cases := []struct {
		name     string
		body     []byte
		header   map[string]string
		code     int
		contains string
		metric   map[string]string // labels of vigil_remote_write_requests_total or ingest counter
	}{
		{name: "malformed protobuf", body: snappy.Encode(nil, []byte{0x0a, 0xff, 0xff, 0x01}), code: 400, contains: "decode remote-write 1 request"},
		{name: "bad snappy", body: []byte("definitely not snappy"), code: 400, contains: "snappy"},
		{name: "wrong content type", body: good, header: map[string]string{"Content-Type": "application/json"}, code: 415, contains: "unsupported Content-Type"},
		{name: "unknown proto", body: good, header: map[string]string{"Content-Type": "application/x-protobuf;proto=foo.Bar"}, code: 415, contains: "foo.Bar"},
		{name: "wrong encoding", body: good, header: map[string]string{"Content-Encoding": "gzip"}, code: 415, contains: "Content-Encoding"},
		{name: "oversized body", body: bytes.Repeat([]byte{1}, 2<<20), code: 413, contains: "limit"},
		{name: "decompression bomb", body: snappy.Encode(nil, make([]byte, 17<<20)), code: 413, contains: "decompressed"},
		{name: "out of order", body: encodeV1(t, series([]string{"__name__", "kept", "a", "b"}, prompb.Sample{Timestamp: ts(-time.Minute), Value: 1})), code: 400, contains: "out of order", metric: map[string]string{"result": "out_of_order"}},
		{name: "duplicate timestamp", body: encodeV1(t, series([]string{"__name__", "kept", "a", "b"}, prompb.Sample{Timestamp: ts(0), Value: 7})), code: 400, contains: "duplicate sample", metric: map[string]string{"result": "duplicate_timestamp"}},
		{name: "invalid label name", body: encodeV1(t, series([]string{"__name__", "m", "bad-name", "x"}, prompb.Sample{Timestamp: ts(0), Value: 1})), code: 400, contains: `invalid label name "bad-name"`, metric: map[string]string{"result": "invalid_series"}},
		{name: "no metric name", body: encodeV1(t, series([]string{"a", "b"}, prompb.Sample{Timestamp: ts(0), Value: 1})), code: 400, contains: "no metric name", metric: map[string]string{"result": "invalid_series"}},
		{name: "10 MB label value", body: encodeV1(t, series([]string{"__name__", "m", "big", bigValue}, prompb.Sample{Timestamp: ts(0), Value: 1})), code: 400, contains: "longer than the limit of 4096", metric: map[string]string{"result": "invalid_series"}},
		{name: "far future", body: encodeV1(t, series([]string{"__name__", "m"}, prompb.Sample{Timestamp: s.now.Add(time.Hour).UnixMilli(), Value: 1})), code: 400, contains: "in the future", metric: map[string]string{"result": "too_far_in_future"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := counter(t, s.reg, "vigil_remote_write_requests_total", map[string]string{"code": fmt.Sprint(c.code)})
			var ingestBefore float64
			if c.metric != nil {
				ingestBefore = counter(t, s.reg, "vigil_ingest_samples_total", c.metric)
			}
			rec := s.post(t, c.body, c.header)
			if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.contains) {
				t.Fatalf("got %d %q, want %d containing %q", rec.Code, truncate(rec.Body.String(), 300), c.code, c.contains)
			}
			if after := counter(t, s.reg, "vigil_remote_write_requests_total", map[string]string{"code": fmt.Sprint(c.code)}); after != before+1 {
				t.Fatalf("request counter for %d went from %v to %v", c.code, before, after)
			}
			if c.metric != nil {
				if after := counter(t, s.reg, "vigil_ingest_samples_total", c.metric); after != ingestBefore+1 {
					t.Fatalf("rejection counter %v went from %v to %v", c.metric, ingestBefore, after)
				}
			}
			checkKept(c.name)
		})
	}
}

// TestRemoteWritePartial checks that the good samples of a request with a
// bad one are kept, and the answer says how many of each.
func TestRemoteWritePartial(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	t0 := s.now.Add(-time.Hour)
	body := encodeV1(t,
		series([]string{"__name__", "m", "bad-label", "x"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: 1}),
		series([]string{"__name__", "m", "ok", "1"}, prompb.Sample{Timestamp: t0.UnixMilli(), Value: 5}),
	)
	rec := s.post(t, body, nil)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "1 samples rejected, 1 accepted") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if got := s.vector(t, "m", t0); got[`{__name__="m", ok="1"}`] != "5" || len(got) != 1 {
		t.Fatalf("good series not kept alone: %v", got)
	}
}

func TestRemoteWriteMethod(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	rec := httpDo(s.write, http.MethodGet, "/api/v1/write", nil)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}
