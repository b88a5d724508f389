package series

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The TSDB's and PromQL's package-level workers outlive a test's store.
		goleak.IgnoreTopFunction("github.com/prometheus/prometheus/tsdb.(*SegmentWAL).run"),
		goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"),
	)
}

// testStore is a store with its handlers, on a temporary directory.
type testStore struct {
	*Store
	reg   *prometheus.Registry
	write http.Handler
	api   http.Handler
	now   time.Time
}

func defaultOptions(dir string, reg prometheus.Registerer) Options {
	return Options{
		Dir:                dir,
		Retention:          24 * time.Hour,
		QueryTimeout:       time.Minute,
		QueryMaxSamples:    1_000_000,
		QueryLookbackDelta: 5 * time.Minute,
		QueryMaxConcurrent: 4,
		Limits:             Limits{MaxLabelNameLength: 128, MaxLabelValueLength: 4096, MaxLabelsPerSeries: 32},
		FanoutShards:       2,
		FanoutQueue:        16,
		Logger:             slog.New(slog.DiscardHandler),
		Registerer:         reg,
	}
}

// newTestStore opens a store; mutate adjusts options.
func newTestStore(t *testing.T, dir string, mutate ...func(*Options)) *testStore {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts := defaultOptions(dir, reg)
	for _, m := range mutate {
		m(&opts)
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testStore{Store: s, reg: reg, now: time.Now()}
	ts.write = s.WriteHandler(WriteOptions{
		MaxBodyBytes: 1 << 20, MaxDecodedBytes: 16 << 20,
		Now: func() time.Time { return ts.now }, Logger: opts.Logger, Registerer: reg,
	})
	ts.api = s.APIHandler(BuildInfo{Version: "test"}, reg)
	return ts
}

// series builds a prompb time series from name/value pairs and samples.
func series(lbls []string, samples ...prompb.Sample) prompb.TimeSeries {
	ts := prompb.TimeSeries{Samples: samples}
	for i := 0; i < len(lbls); i += 2 {
		ts.Labels = append(ts.Labels, prompb.Label{Name: lbls[i], Value: lbls[i+1]})
	}
	return ts
}

func encodeV1(t testing.TB, tss ...prompb.TimeSeries) []byte {
	t.Helper()
	b, err := proto.Marshal(&prompb.WriteRequest{Timeseries: tss})
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func (s *testStore) post(t testing.TB, body []byte, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/write", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.write.ServeHTTP(rec, req)
	return rec
}

// apiResult is the decoded JSON of a Prometheus API answer.
type apiResult struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	code      int
}

func (s *testStore) get(t testing.TB, path string, params url.Values) apiResult {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path+"?"+params.Encode(), nil)
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	return decodeAPI(t, rec)
}

func (s *testStore) postForm(t testing.TB, path string, params url.Values) apiResult {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	return decodeAPI(t, rec)
}

func decodeAPI(t testing.TB, rec *httptest.ResponseRecorder) apiResult {
	t.Helper()
	var r apiResult
	body, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	r.code = rec.Code
	return r
}

// vector runs an instant query and returns value by the series' labels.
func (s *testStore) vector(t testing.TB, q string, at time.Time) map[string]string {
	t.Helper()
	r := s.get(t, "/api/v1/query", url.Values{"query": {q}, "time": {formatTime(at)}})
	if r.Status != "success" {
		t.Fatalf("query %q: %d %s: %s", q, r.code, r.ErrorType, r.Error)
	}
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.ResultType != "vector" {
		t.Fatalf("result type %q", data.ResultType)
	}
	out := map[string]string{}
	for _, s := range data.Result {
		out[FromMap(s.Metric).String()] = s.Value[1].(string)
	}
	return out
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// counter sums the counters named name whose labels include labels.
func counter(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// recorder is an Observer that keeps every sample it sees.
type recorder struct {
	mu      sync.Mutex
	samples []Sample
	block   chan struct{}
}

func (r *recorder) Observe(batch []Sample) {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, batch...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func runStore(t *testing.T, s *testStore) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func httpDo(h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
