package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/testenv"
)

// TestPrometheusRemoteWriteInterop runs a real Prometheus that scrapes
// itself and remote-writes into Vigil, then asks both the same PromQL over
// the same time range and requires the same answers.
func TestPrometheusRemoteWriteInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs a real Prometheus for about 25 seconds")
	}
	promBin := testenv.RequireBinary(t, "prometheus", "/usr/bin/prometheus")
	a := startApp(t, app.Options{})
	vigil := client{base: "http://" + a.Addr()}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: [%q]
remote_write:
  - url: http://%s/api/v1/write
    queue_config:
      batch_send_deadline: 200ms
      min_backoff: 50ms
`, promAddr, a.Addr())
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	prom := client{base: "http://" + promAddr}

	// Wait for remote-written data, then for enough history.
	began := time.Now()
	deadline := began.Add(60 * time.Second)
	for {
		if got := vigil.query(t, `up{job="prometheus"}`, time.Now()); len(got) == 1 {
			for _, v := range got {
				if v != "1" {
					t.Fatalf(`up{job="prometheus"} = %s`, v)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no remote-written up{job=\"prometheus\"} in Vigil after 60s; prometheus log:\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	first := time.Now()
	time.Sleep(22 * time.Second)

	// Scrapes happen every 1000 ms at a fixed remainder r; evaluating at
	// r+500 ms keeps every range boundary away from a sample, where
	// Prometheus 2 (closed ranges) and 3 (left-open ranges) differ.
	var tsv map[string]string
	if tsv = vigil.query(t, `timestamp(up{job="prometheus"})`, time.Now().Add(-3*time.Second)); len(tsv) != 1 {
		t.Fatalf("timestamp(up): %v", tsv)
	}
	var r int64
	for _, v := range tsv {
		f, _ := strconv.ParseFloat(v, 64)
		r = int64(math.Round(f*1000)) % 1000
	}
	align := func(t time.Time) time.Time {
		return time.UnixMilli(t.UnixMilli() - t.UnixMilli()%1000 + (r+500)%1000)
	}
	start, end := align(first.Add(12*time.Second)), align(time.Now().Add(-3*time.Second))

	exprs := []string{
		`up{job="prometheus"}`,
		`rate(prometheus_tsdb_head_samples_appended_total[5s])`,
		`sum by (job) (rate(prometheus_http_requests_total[10s]))`,
		`sum by (handler) (prometheus_http_requests_total)`,
		`histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket{handler="/metrics"}[10s])))`,
		`prometheus_tsdb_head_series offset 5s`,
		`max_over_time(rate(prometheus_tsdb_head_samples_appended_total[5s])[10s:1s])`,
	}
	if r == 0 {
		exprs = exprs[:len(exprs)-1] // The subquery's steps would fall on samples.
	}
	for _, q := range exprs {
		for _, at := range []time.Time{start, start.Add(3 * time.Second), end} {
			want, got := prom.query(t, q, at), vigil.query(t, q, at)
			if len(want) == 0 {
				t.Fatalf("%s at %v: Prometheus returned nothing; the comparison would be empty", q, at)
			}
			if !sameVector(want, got) {
				t.Errorf("%s at %v:\n prometheus %v\n vigil      %v", q, at, want, got)
			}
		}
		want, got := prom.rangeQuery(t, q, start, end, time.Second), vigil.rangeQuery(t, q, start, end, time.Second)
		if !sameVector(want, got) {
			t.Errorf("range %s:\n prometheus %v\n vigil      %v", q, want, got)
		}
	}
}

// rangeQuery returns, per series, its values joined in time order.
func (c client) rangeQuery(t *testing.T, q string, start, end time.Time, step time.Duration) map[string]string {
	t.Helper()
	code, body := c.do(t, http.MethodGet, "/api/v1/query_range?"+url.Values{
		"query": {q}, "start": {fmt.Sprintf("%.3f", float64(start.UnixMilli())/1000)},
		"end": {fmt.Sprintf("%.3f", float64(end.UnixMilli())/1000)}, "step": {step.String()},
	}.Encode(), nil, nil)
	if code != 200 {
		t.Fatalf("range %q: %d %s", q, code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range r.Data.Result {
		for i, v := range s.Values {
			out[fmt.Sprint(s.Metric, "@", i, "/", v[0])] = v[1].(string)
		}
	}
	return out
}

func sameVector(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bv, ok := b[k]
		if !ok || !sameFloat(a[k], bv) {
			return false
		}
	}
	return true
}

func sameFloat(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}
