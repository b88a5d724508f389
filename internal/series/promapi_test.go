package series

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

// loadRows writes rows{pipeline=p} with one sample a minute for an hour.
func loadRows(t *testing.T, s *testStore, t0 time.Time) {
	t.Helper()
	var tss []prompb.TimeSeries
	for _, p := range []string{"orders", "users"} {
		ts := series([]string{"__name__", "rows_total", "pipeline", p, "team", "data"})
		for i := range 60 {
			ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: t0.Add(time.Duration(i) * time.Minute).UnixMilli(), Value: float64(i * 60)})
		}
		tss = append(tss, ts)
	}
	if rec := s.post(t, encodeV1(t, tss...), nil); rec.Code != http.StatusNoContent {
		t.Fatalf("load: %d %s", rec.Code, rec.Body)
	}
}

func TestQueryAPI(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	t0 := s.now.Add(-2 * time.Hour).Truncate(time.Hour)
	loadRows(t, s, t0)
	at := formatTime(t0.Add(30 * time.Minute))

	for _, do := range []func(testing.TB, string, url.Values) apiResult{s.get, s.postForm} {
		r := do(t, "/api/v1/query", url.Values{"query": {`sum by (team) (rate(rows_total[5m]))`}, "time": {at}})
		if r.Status != "success" {
			t.Fatalf("query: %+v", r)
		}
		var data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.ResultType != "vector" || len(data.Result) != 1 || data.Result[0].Metric["team"] != "data" || data.Result[0].Value[1] != "2" {
			t.Fatalf("sum of two rates of 1/s: %s", r.Data)
		}
	}

	r := s.get(t, "/api/v1/query_range", url.Values{
		"query": {`rows_total{pipeline="orders"}`},
		"start": {formatTime(t0)}, "end": {formatTime(t0.Add(10 * time.Minute))}, "step": {"300"},
	})
	var matrix struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Values [][]any `json:"values"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.Data, &matrix); err != nil {
		t.Fatal(err)
	}
	if matrix.ResultType != "matrix" || len(matrix.Result) != 1 || len(matrix.Result[0].Values) != 3 || matrix.Result[0].Values[2][1] != "600" {
		t.Fatalf("range query: %s", r.Data)
	}

	r = s.get(t, "/api/v1/query", url.Values{"query": {"1+1"}, "time": {at}})
	if !strings.Contains(string(r.Data), `"resultType":"scalar"`) || !strings.Contains(string(r.Data), `"2"`) {
		t.Fatalf("scalar: %s", r.Data)
	}

	r = s.get(t, "/api/v1/series", url.Values{"match[]": {`rows_total`, `{team="data"}`}})
	var sers []map[string]string
	if err := json.Unmarshal(r.Data, &sers); err != nil || len(sers) != 2 || sers[0]["pipeline"] != "orders" {
		t.Fatalf("series: %s (%v)", r.Data, err)
	}

	r = s.get(t, "/api/v1/labels", nil)
	var names []string
	if err := json.Unmarshal(r.Data, &names); err != nil || !slices.Equal(names, []string{"__name__", "pipeline", "team"}) {
		t.Fatalf("labels: %s", r.Data)
	}
	r = s.get(t, "/api/v1/label/pipeline/values", url.Values{"match[]": {`rows_total`}})
	if err := json.Unmarshal(r.Data, &names); err != nil || !slices.Equal(names, []string{"orders", "users"}) {
		t.Fatalf("label values: %s", r.Data)
	}
	r = s.get(t, "/api/v1/label/pipeline/values", url.Values{"limit": {"1"}})
	if err := json.Unmarshal(r.Data, &names); err != nil || len(names) != 1 || len(r.Warnings) != 1 {
		t.Fatalf("label values with limit: %s %v", r.Data, r.Warnings)
	}
	r = s.get(t, "/api/v1/status/buildinfo", nil)
	if !strings.Contains(string(r.Data), `"version":"test"`) {
		t.Fatalf("buildinfo: %s", r.Data)
	}
}

// TestQueryAPIErrors checks Prometheus's error shapes and status codes.
func TestQueryAPIErrors(t *testing.T) {
	s := newTestStore(t, t.TempDir())
	defer s.Close()
	f := func(path string, params url.Values, code int, errType, contains string) {
		t.Helper()
		r := s.get(t, path, params)
		if r.code != code || r.Status != "error" || r.ErrorType != errType || !strings.Contains(r.Error, contains) {
			t.Fatalf("%s %v: got %d %s %q, want %d %s containing %q", path, params, r.code, r.ErrorType, r.Error, code, errType, contains)
		}
	}
	f("/api/v1/query", url.Values{"query": {"sum(rate(x[5m]"}}, 400, "bad_data", `invalid parameter "query"`)
	f("/api/v1/query", url.Values{"query": {""}}, 400, "bad_data", "invalid parameter")
	f("/api/v1/query", url.Values{"query": {"up"}, "time": {"yesterday"}}, 400, "bad_data", "invalid time value for 'time'")
	f("/api/v1/query", url.Values{"query": {"up"}, "timeout": {"soon"}}, 400, "bad_data", `invalid parameter "timeout"`)
	f("/api/v1/query_range", url.Values{"query": {"up"}, "start": {"10"}, "end": {"5"}, "step": {"1"}}, 400, "bad_data", "end timestamp must not be before start time")
	f("/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"100000"}, "step": {"1"}}, 400, "bad_data", "11,000 points")
	f("/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"10"}, "step": {"0"}}, 400, "bad_data", "zero or negative")
	f("/api/v1/series", nil, 400, "bad_data", "no match[]")
	f("/api/v1/series", url.Values{"match[]": {`{a=""}`}}, 400, "bad_data", "at least one non-empty matcher")
	f("/api/v1/labels", url.Values{"limit": {"-1"}}, 400, "bad_data", "limit")
	f("/api/v1/query", url.Values{"query": {`label_replace(vector(1), "x", "$1", "y", "(")`}}, 422, "execution", "invalid regular expression")

	rec := httpDo(s.api, http.MethodDelete, "/api/v1/query", nil)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Allow") != "GET, POST" {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	if n := counter(t, s.reg, "vigil_query_api_requests_total", map[string]string{"error_type": "bad_data"}); n < 10 {
		t.Fatalf("bad_data counter = %v", n)
	}
}

func TestQueryLimits(t *testing.T) {
	s := newTestStore(t, t.TempDir(), func(o *Options) { o.QueryMaxSamples = 10 })
	defer s.Close()
	t0 := s.now.Add(-2 * time.Hour).Truncate(time.Hour)
	loadRows(t, s, t0)
	r := s.get(t, "/api/v1/query", url.Values{"query": {"rows_total[1h]"}, "time": {formatTime(t0.Add(time.Hour))}})
	if r.code != 422 || !strings.Contains(r.Error, "too many samples") {
		t.Fatalf("max samples: %d %s", r.code, r.Error)
	}
}

func TestOpenRejectsZeroLimits(t *testing.T) {
	for _, mutate := range []func(*Options){
		func(o *Options) { o.QueryTimeout = 0 },
		func(o *Options) { o.QueryMaxSamples = 0 },
		func(o *Options) { o.QueryLookbackDelta = 0 },
		func(o *Options) { o.FanoutQueue = 0 },
	} {
		opts := defaultOptions(t.TempDir(), nil)
		mutate(&opts)
		if _, err := Open(opts); err == nil || !strings.Contains(err.Error(), "bad series store options") {
			t.Fatalf("Open with a zero limit: err = %v", err)
		}
	}
}
