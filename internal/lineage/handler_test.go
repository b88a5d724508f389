package lineage

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// memorySink records events in memory, failing with err from the event
// numbered failAt (counting from 1) on.
type memorySink struct {
	mu     sync.Mutex
	events []RunEvent
	failAt int
	err    error
}

func (s *memorySink) Record(_ context.Context, ev RunEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil && len(s.events)+1 >= s.failAt {
		return s.err
	}
	s.events = append(s.events, ev)
	return nil
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHandler(t *testing.T) {
	const limit = 8 << 10
	type request struct {
		method, contentType, encoding, body string
		chunked                             bool // no Content-Length
	}
	post := func(body string) request {
		return request{method: http.MethodPost, contentType: "application/json", body: body}
	}
	bad := strings.Replace(validEvent, `"COMPLETE"`, `"DONE"`, 1)
	huge := strings.Replace(validEvent, `"boom"`, `"`+strings.Repeat("x", limit)+`"`, 1)
	for _, tc := range []struct {
		name      string
		req       request
		sink      *memorySink
		code      int
		resp      string
		allow     string
		recorded  int
		wantCount map[[2]string]float64
	}{
		{
			name: "one event", req: post(validEvent), code: http.StatusCreated, resp: `{"accepted":1}`, recorded: 1,
			wantCount: map[[2]string]float64{{"accepted", "COMPLETE"}: 1},
		},
		{
			name: "batch", req: post("[" + validEvent + "," + strings.Replace(validEvent, `"eventType": "COMPLETE",`, "", 1) + "]"),
			code: http.StatusOK, resp: `{"accepted":2}`, recorded: 2,
			wantCount: map[[2]string]float64{{"accepted", "COMPLETE"}: 1, {"accepted", "none"}: 1},
		},
		{
			name: "JSON type with charset and suffix", req: request{method: http.MethodPost, contentType: "application/vnd.openlineage+json; charset=utf-8", body: validEvent},
			code: http.StatusCreated, resp: `{"accepted":1}`, recorded: 1,
		},
		{
			name: "gzip", req: request{method: http.MethodPost, contentType: "application/json", encoding: "gzip", body: gzipped(t, validEvent)},
			code: http.StatusCreated, resp: `{"accepted":1}`, recorded: 1,
		},
		{
			name: "invalid event", req: post(bad), code: http.StatusBadRequest,
			resp:      `{"accepted":0,"error":"eventType: \"DONE\" is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER","path":"eventType"}`,
			wantCount: map[[2]string]float64{{"invalid", "unknown"}: 1},
		},
		{
			name: "invalid event in a batch", req: post("[" + validEvent + "," + bad + "]"), code: http.StatusBadRequest,
			resp: `{"accepted":0,"error":"[1].eventType: \"DONE\" is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER","path":"[1].eventType"}`,
		},
		{
			name: "invalid JSON", req: post(`{"eventType": `), code: http.StatusBadRequest,
			resp: `{"accepted":0,"error":"invalid JSON: unexpected end of input"}`,
		},
		{
			name: "corrupt gzip", req: request{method: http.MethodPost, contentType: "application/json", encoding: "gzip", body: "not gzip at all"},
			code: http.StatusBadRequest, resp: `{"accepted":0,"error":"read gzip header: gzip: invalid header"}`,
		},
		{
			name: "GET", req: request{method: http.MethodGet}, code: http.StatusMethodNotAllowed, allow: "POST",
			resp: `{"accepted":0,"error":"method GET not allowed: use POST"}`, wantCount: map[[2]string]float64{},
		},
		{
			name: "form content type", req: request{method: http.MethodPost, contentType: "application/x-www-form-urlencoded", body: validEvent},
			code: http.StatusUnsupportedMediaType, resp: `{"accepted":0,"error":"unsupported content type \"application/x-www-form-urlencoded\": want application/json"}`,
			wantCount: map[[2]string]float64{{"unsupported", "unknown"}: 1},
		},
		{
			name: "no content type", req: request{method: http.MethodPost, body: validEvent},
			code: http.StatusUnsupportedMediaType, resp: `{"accepted":0,"error":"missing Content-Type: want application/json"}`,
		},
		{
			name: "brotli", req: request{method: http.MethodPost, contentType: "application/json", encoding: "br", body: validEvent},
			code: http.StatusUnsupportedMediaType, resp: `{"accepted":0,"error":"unsupported content encoding \"br\": want gzip or none"}`,
		},
		{
			name: "too large by Content-Length", req: post(huge), code: http.StatusRequestEntityTooLarge,
			resp:      fmt.Sprintf(`{"accepted":0,"error":"OpenLineage payload too large: %d bytes, limit %d"}`, len(huge), limit),
			wantCount: map[[2]string]float64{{"too_large", "unknown"}: 1},
		},
		{
			name: "too large, chunked", req: request{method: http.MethodPost, contentType: "application/json", body: huge, chunked: true},
			code: http.StatusRequestEntityTooLarge, resp: fmt.Sprintf(`{"accepted":0,"error":"OpenLineage payload too large: over %d bytes"}`, limit),
		},
		{
			name: "too large after decompression", req: request{method: http.MethodPost, contentType: "application/json", encoding: "gzip", body: gzipped(t, huge)},
			code: http.StatusRequestEntityTooLarge, resp: fmt.Sprintf(`{"accepted":0,"error":"OpenLineage payload too large: over %d bytes"}`, limit),
		},
		{
			name: "sink fails", req: post(validEvent), sink: &memorySink{failAt: 1, err: errors.New("database is locked")},
			code: http.StatusInternalServerError, resp: `{"accepted":0,"error":"record event: database is locked"}`,
			wantCount: map[[2]string]float64{{"failed", "COMPLETE"}: 1},
		},
		{
			name: "sink fails in a batch", req: post("[" + validEvent + "," + validEvent + "," + validEvent + "]"),
			sink: &memorySink{failAt: 2, err: errors.New("database is locked")},
			code: http.StatusInternalServerError, resp: `{"accepted":1,"error":"record event [1]: database is locked","path":"[1]"}`, recorded: 1,
			wantCount: map[[2]string]float64{{"accepted", "COMPLETE"}: 1, {"failed", "COMPLETE"}: 1},
		},
		{
			name: "sink rejects", req: post(validEvent), sink: &memorySink{failAt: 1, err: fmt.Errorf("%w: job is reserved", ErrInvalidEvent)},
			code: http.StatusBadRequest, resp: `{"accepted":0,"error":"record event: invalid OpenLineage event: job is reserved"}`,
			wantCount: map[[2]string]float64{{"invalid", "COMPLETE"}: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := tc.sink
			if sink == nil {
				sink = &memorySink{}
			}
			reg := prometheus.NewPedanticRegistry()
			h := NewHandler(sink, Options{MaxBodyBytes: limit, Registerer: reg})
			var body io.Reader = strings.NewReader(tc.req.body)
			if tc.req.chunked {
				body = io.MultiReader(body) // hides the length from httptest
			}
			r := httptest.NewRequest(tc.req.method, "/api/v1/lineage", body)
			if tc.req.contentType != "" {
				r.Header.Set("Content-Type", tc.req.contentType)
			}
			if tc.req.encoding != "" {
				r.Header.Set("Content-Encoding", tc.req.encoding)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tc.code {
				t.Errorf("status %d, want %d", w.Code, tc.code)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tc.resp {
				t.Errorf("body %s\nwant %s", got, tc.resp)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if len(sink.events) != tc.recorded {
				t.Errorf("recorded %d events, want %d", len(sink.events), tc.recorded)
			}
			if tc.wantCount != nil {
				checkCounts(t, reg, tc.wantCount)
			}
		})
	}
}

// checkCounts compares vigil_lineage_events_total with want, by result and
// event type.
func checkCounts(t *testing.T, reg *prometheus.Registry, want map[[2]string]float64) {
	t.Helper()
	var exp strings.Builder
	if len(want) > 0 {
		exp.WriteString("# HELP vigil_lineage_events_total " + eventsHelp + "\n# TYPE vigil_lineage_events_total counter\n")
	}
	for _, k := range sortedKeys(countsByLine(want)) {
		exp.WriteString(k)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp.String()), "vigil_lineage_events_total"); err != nil {
		t.Error(err)
	}
}

// countsByLine renders the wanted counts as exposition lines.
func countsByLine(want map[[2]string]float64) map[string]struct{} {
	lines := make(map[string]struct{}, len(want))
	for k, v := range want {
		lines[fmt.Sprintf("vigil_lineage_events_total{event_type=%q,result=%q} %g\n", k[1], k[0], v)] = struct{}{}
	}
	return lines
}

// TestHandlerDecodedEvent checks that the Sink gets the decoded event.
func TestHandlerDecodedEvent(t *testing.T) {
	sink := &memorySink{}
	h := NewHandler(sink, Options{})
	r := httptest.NewRequest(http.MethodPost, "/api/v1/lineage", strings.NewReader(validEvent))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || len(sink.events) != 1 {
		t.Fatalf("status %d, %d events", w.Code, len(sink.events))
	}
	want, err := decodeString(validEvent)
	if err != nil {
		t.Fatal(err)
	}
	checkSameEvent(t, sink.events[0], want)
}

// TestHandlerServesBuiltEvents posts what the Builder makes, as Vigil's
// runtime would to another Vigil.
func TestHandlerServesBuiltEvents(t *testing.T) {
	sink := &memorySink{}
	srv := httptest.NewServer(NewHandler(sink, Options{}))
	defer srv.Close()
	fixtures := builderFixtures(t)
	events := make([]RunEvent, len(fixtures))
	for i, fx := range fixtures {
		events[i] = fx.event
	}
	body, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/v1/lineage", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(sink.events) != len(events) {
		t.Fatalf("status %d, %d of %d events recorded", resp.StatusCode, len(sink.events), len(events))
	}
	for i := range events {
		checkSameEvent(t, sink.events[i], events[i])
	}
}
