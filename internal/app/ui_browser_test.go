package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
	"github.com/vigil-aiops/vigil/internal/testenv"
)

// TestUIInABrowser drives the UI in headless Chromium: an alerting rule
// opens an incident; the overview shows it, its page explains it, the
// Acknowledge button acknowledges it (checked through the API), and the
// series explorer draws a chart. Screenshots go to $VIGIL_TEST_ARTIFACTS
// (a temporary directory without it).
func TestUIInABrowser(t *testing.T) {
	chromium := testenv.RequireBinary(t, "chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
	artifacts := os.Getenv("VIGIL_TEST_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	dir := t.TempDir()
	writeFile(t, dir+"/etl.rules.yaml", "groups:\n  - name: etl\n    interval: 200ms\n    rules:\n      - alert: RowsFailing\n        expr: rows_failed > 5\n        annotations: {summary: \"billing failed {{ $value }} rows\"}\n")
	writeFile(t, dir+"/vigil.yaml", "storage:\n  data_dir: "+dir+"/data\nrule_files: [\""+dir+"/*.rules.yaml\"]\n")
	a := startApp(t, app.Options{ConfigFile: dir + "/vigil.yaml"})
	base := "http://" + a.Addr()
	c := client{base: base}
	var samples []remotewrite.Sample
	for i := 30; i >= 0; i-- {
		samples = append(samples, remotewrite.Sample{Value: float64(9 + i%3), Timestamp: time.Now().Add(-time.Duration(i) * 10 * time.Second).UnixMilli()})
	}
	body := remotewrite.AppendSeriesV1(nil, []remotewrite.Label{{Name: "__name__", Value: "rows_failed"}, {Name: "pipeline", Value: "billing"}}, samples)
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, body), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}

	// As root in a container: no sandbox, and /dev/shm may be tiny.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var png []byte
			if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artifacts, name+".png"), png, 0o600)
		})
	}

	var open, status, evidence string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Poll(`document.getElementById("open-incidents") && document.getElementById("open-incidents").textContent === "1"`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text("#open-incidents", &open),
		shot("overview"),
		chromedp.Click(`a[href^="#/incidents/inc-"]`),
		chromedp.WaitVisible("#ack"),
		chromedp.Text("main table tbody", &evidence),
		chromedp.SendKeys("#reason", "looking into it"),
		chromedp.Click("#ack"),
		chromedp.Poll(`document.getElementById("incident-status") && document.getElementById("incident-status").textContent === "acknowledged"`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text("#incident-status", &status),
		shot("incident"),
	); err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, artifacts)
	}
	if open != "1" || status != "acknowledged" || !strings.Contains(evidence, "billing failed") {
		t.Fatalf("overview showed %q open, status %q, evidence %q", open, status, evidence)
	}
	_, incs := c.do(t, "GET", "/api/v1/incidents", nil, nil)
	if !strings.Contains(incs, `"why":"looking into it"`) {
		t.Fatalf("the acknowledgement did not reach Vigil: %s", incs)
	}

	var paths int
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/#/series?q=rows_failed&h=1"),
		chromedp.WaitVisible("svg.chart path.line"),
		chromedp.Evaluate(`document.querySelectorAll("svg.chart path.line").length`, &paths),
		shot("series"),
	); err != nil {
		t.Fatalf("series explorer: %v", err)
	}
	if paths != 1 {
		t.Fatalf("%d lines drawn for one series", paths)
	}
}
