package series

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestForecastsAreQueryable sets a forecast whose points lie in the future
// and reads it back through PromQL, the series API, QueryRange and a
// range query that spans stored and forecast data; the TSDB is untouched.
func TestForecastsAreQueryable(t *testing.T) {
	s := newTestStore(t, t.TempDir(), func(o *Options) { o.MaxForecastSeries = 2 })
	defer s.Close()
	now := time.Now().Truncate(time.Minute)
	var ts []int64
	var vs []float64
	for i := 1; i <= 60; i++ {
		ts = append(ts, now.Add(time.Duration(i)*time.Minute).UnixMilli())
		vs = append(vs, float64(100-i))
	}
	if !s.SetForecast("vigil_forecast", FromMap(map[string]string{"source_metric": "disk_free_bytes", "host": "a", "bound": "mean"}), ts, vs) {
		t.Fatal("forecast refused")
	}
	got := s.vector(t, `vigil_forecast{bound="mean"}`, now.Add(30*time.Minute))
	if len(got) != 1 {
		t.Fatalf("forecast at +30m: %v", got)
	}
	for k, v := range got {
		if !strings.Contains(k, `source_metric="disk_free_bytes"`) || v != "70" {
			t.Fatalf("forecast at +30m: %s = %s", k, v)
		}
	}
	// Before the first point, nothing.
	if got := s.vector(t, `vigil_forecast`, now.Add(-10*time.Minute)); len(got) != 0 {
		t.Fatalf("forecast before it starts: %v", got)
	}
	r := s.get(t, "/api/v1/series", url.Values{"match[]": {"vigil_forecast"}, "start": {formatTime(now)}, "end": {formatTime(now.Add(time.Hour))}})
	var series []map[string]string
	if err := json.Unmarshal(r.Data, &series); err != nil || len(series) != 1 || series[0]["bound"] != "mean" {
		t.Fatalf("series API: %s", r.Data)
	}
	rs, err := s.QueryRange(context.Background(), `vigil_forecast`, now, now.Add(time.Hour), 10*time.Minute)
	if err != nil || len(rs) != 1 || len(rs[0].V) != 6 || rs[0].V[5] != 40 {
		t.Fatalf("QueryRange: %+v, %v", rs, err)
	}
	if _, err := s.QueryRange(context.Background(), `vigil_forecast{`, now, now.Add(time.Hour), time.Minute); err == nil {
		t.Fatal("a bad expression was accepted")
	}
	// The bound holds; replacing an existing series does not count.
	s.SetForecast("vigil_forecast", FromMap(map[string]string{"source_metric": "x", "bound": "mean"}), ts, vs)
	if s.SetForecast("vigil_forecast", FromMap(map[string]string{"source_metric": "y", "bound": "mean"}), ts, vs) {
		t.Fatal("a third forecast series was kept beyond the bound of 2")
	}
	if !s.SetForecast("vigil_forecast", FromMap(map[string]string{"source_metric": "x", "bound": "mean"}), ts[:1], vs[:1]) {
		t.Fatal("replacing a forecast was refused")
	}
	if n := s.DropForecasts(func(l Labels) bool { return l.Get("source_metric") != "x" }); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	// Nothing reached the TSDB.
	q, err := s.db.Querier(now.UnixMilli(), now.Add(time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	names, _, err := q.LabelValues(context.Background(), "__name__", nil)
	if err != nil || len(names) != 0 {
		t.Fatalf("TSDB holds %v", names)
	}
}
