package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// recorder is a receiver that keeps what it got and when.
type recorder struct {
	mu   sync.Mutex
	got  []string
	when []time.Time
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(b))
	r.when = append(r.when, time.Now())
}

func (r *recorder) snapshot() ([]string, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...), append([]time.Time(nil), r.when...)
}

// TestNotificationRouting configures a routing tree: an Alertmanager
// receiver (continue) is told of every rule's incident, again every
// second while it fires; billing's incidents go to the on-call webhook,
// the others to the team's after a group_wait of two seconds.
func TestNotificationRouting(t *testing.T) {
	team, oncall, am := &recorder{}, &recorder{}, &recorder{}
	url := map[*recorder]string{}
	for _, r := range []*recorder{team, oncall, am} {
		srv := httptest.NewServer(r)
		defer srv.Close()
		url[r] = srv.URL
	}
	dir := t.TempDir()
	writeFile(t, dir+"/etl.rules.yaml", "groups:\n  - name: etl\n    interval: 200ms\n    rules:\n      - alert: RowsFailing\n        expr: rows_failed > 5\n")
	writeFile(t, dir+"/vigil.yaml", "storage:\n  data_dir: "+dir+"/data\nrule_files: [\""+dir+"/*.rules.yaml\"]\n"+
		"notify:\n  alertmanager_resend: 1s\n  receivers:\n"+
		"    - {name: team, min_severity: info, webhook: {url: \""+url[team]+"\"}}\n"+
		"    - {name: oncall, min_severity: info, webhook: {url: \""+url[oncall]+"\"}}\n"+
		"    - {name: am, min_severity: info, alertmanager: {url: \""+url[am]+"\"}}\n"+
		"  route:\n    receiver: team\n    group_by: [pipeline]\n    group_wait: 2s\n    routes:\n"+
		"      - {matchers: ['kind=\"rule\"'], receiver: am, group_wait: 100ms, continue: true}\n"+
		"      - {matchers: ['pipeline=\"billing\"'], receiver: oncall, group_wait: 100ms}\n"+
		"      - {receiver: team}\n")
	a := startApp(t, app.Options{ConfigFile: dir + "/vigil.yaml"})
	c := client{base: "http://" + a.Addr()}
	var req []byte
	for _, p := range []string{"billing", "orders"} {
		req = remotewrite.AppendSeriesV1(req, []remotewrite.Label{{Name: "__name__", Value: "rows_failed"}, {Name: "pipeline", Value: p}},
			[]remotewrite.Sample{{Value: 9, Timestamp: time.Now().Add(-5 * time.Second).UnixMilli()}})
	}
	sent := time.Now()
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, req), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		tg, _ := team.snapshot()
		og, _ := oncall.snapshot()
		ag, _ := am.snapshot()
		if len(tg) >= 1 && len(og) >= 1 && len(ag) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("team %d, oncall %d, alertmanager %d messages", len(tg), len(og), len(ag))
		}
		time.Sleep(50 * time.Millisecond)
	}
	tg, tw := team.snapshot()
	og, _ := oncall.snapshot()
	for _, m := range og {
		if !strings.Contains(m, `"pipeline":"billing"`) || strings.Contains(m, `"pipeline":"orders"`) {
			t.Errorf("oncall got %s", m)
		}
	}
	for _, m := range tg {
		if !strings.Contains(m, `"pipeline":"orders"`) || strings.Contains(m, `"pipeline":"billing"`) {
			t.Errorf("team got %s", m)
		}
	}
	if d := tw[0].Sub(sent); d < 1500*time.Millisecond {
		t.Errorf("team was told %s after the write, before its group_wait of 2s", d)
	}
	// The Alertmanager receiver heard of both incidents, and again.
	ag, _ := am.snapshot()
	keys := map[string]int{}
	for _, m := range ag {
		var alerts []struct {
			Labels map[string]string `json:"labels"`
		}
		if err := json.Unmarshal([]byte(m), &alerts); err != nil || len(alerts) == 0 {
			t.Fatalf("alertmanager payload: %s", m)
		}
		keys[alerts[0].Labels["pipeline"]]++
	}
	if keys["billing"] < 2 && keys["orders"] < 2 {
		t.Errorf("no firing incident re-sent to Alertmanager: %v", keys)
	}
}
