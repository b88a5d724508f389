package app_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// TestDiskFillingBecomesPrediction remote-writes fifty minutes of a disk
// losing a gigabyte a minute, ten left: the forecaster must serve its
// forecast as vigil_forecast into the future and open a prediction
// incident about ten minutes ahead of the disk running out.
func TestDiskFillingBecomesPrediction(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/vigil.yaml", "storage:\n  data_dir: "+dir+"/data\nengine:\n  forecast:\n    interval: 200ms\n    step: 1m\n    history: 1h\n    horizon: 30m\n"+
		"    targets:\n      - query: disk_free_gb\n        limit: 0\n")
	a := startApp(t, app.Options{ConfigFile: dir + "/vigil.yaml"})
	c := client{base: "http://" + a.Addr()}
	now := time.Now().Truncate(time.Minute)
	var samples []remotewrite.Sample
	for i := 50; i >= 0; i-- {
		samples = append(samples, remotewrite.Sample{Value: float64(10 + i), Timestamp: now.Add(-time.Duration(i) * time.Minute).UnixMilli()})
	}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "disk_free_gb"}, {Name: "host", Value: "db1"}}, samples)
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
		if strings.Contains(incs, `"kind":"prediction"`) && strings.Contains(incs, "forecast to reach 0 in") && strings.Contains(incs, "db1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no prediction incident: %s", incs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	at := strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)
	_, body2 := c.do(t, "GET", "/api/v1/query?query="+url.QueryEscape(`vigil_forecast{source_metric="disk_free_gb", host="db1", bound="mean"}`)+"&time="+at, nil, nil)
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body2), &resp); err != nil || len(resp.Data.Result) != 1 {
		t.Fatalf("forecast five minutes ahead: %s", body2)
	}
	// Ten left, one a minute: five left in five minutes.
	if v, _ := strconv.ParseFloat(resp.Data.Result[0].Value[1].(string), 64); v < 4 || v > 6 {
		t.Fatalf("forecast five minutes ahead = %v, want about 5", v)
	}
}
