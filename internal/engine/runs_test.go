package engine

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/series"
)

// normalRun is an hourly run of a task that reads about 10,000 rows with
// a daily rhythm, writes what it reads, and takes time in proportion.
func normalRun(r *rand.Rand, at time.Time) TaskRun {
	daily := 1 + 0.3*math.Sin(float64(at.Hour())/24*2*math.Pi)
	in := int64(10000 * daily * math.Exp(0.05*r.NormFloat64()))
	return TaskRun{Pipeline: "orders", Task: "load", At: at,
		Duration:  time.Duration(float64(in) / 500 * math.Exp(0.05*r.NormFloat64()) * float64(time.Second)),
		QueueWait: time.Duration(1+r.IntN(3)) * time.Second,
		CPU:       time.Duration(float64(in) / 2000 * math.Exp(0.05*r.NormFloat64()) * float64(time.Second)),
		RowsIn:    in, RowsOut: in - int64(r.IntN(5)), Bytes: in * 120}
}

// TestTaskRunsGetBaselines runs a month of hourly runs of one task through
// the engine, then a run that lost nine rows in ten: the rows-out detector
// and the group detector must both flag it, explain it, and clear when the
// task is back to normal; the normal month must stay almost quiet.
func TestTaskRunsGetBaselines(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openStore(t, reg)
	sk := &sink{}
	e := New(Options{Writer: s.NewSelfWriter("engine", reg), Signals: sk, MaxSeries: 100, Registerer: reg})
	r := rand.New(rand.NewPCG(3, 4))
	// Midnight forty days ago: the daily rhythm starts at the same phase in
	// every run of the test.
	start := time.Now().Add(-40 * 24 * time.Hour).Truncate(24 * time.Hour)
	at := start
	for range 30 * 24 {
		e.ObserveTask(normalRun(r, at))
		at = at.Add(time.Hour)
	}
	quiet := 0
	for _, sg := range sk.signals {
		if !sg.Cleared && sg.At.After(start.Add(7*24*time.Hour)) {
			quiet++
		}
	}
	if quiet > 3 {
		t.Fatalf("%d anomaly signals in three weeks of normal runs: %+v", quiet, sk.signals)
	}
	sk.signals = nil

	bad := normalRun(r, at)
	bad.RowsOut = bad.RowsIn / 10
	e.ObserveTask(bad)
	var uni, group *Signal
	for i, sg := range sk.signals {
		switch sg.Labels["__name__"] {
		case "vigil_etl_task_rows_out":
			uni = &sk.signals[i]
		case GroupMetric:
			group = &sk.signals[i]
		}
	}
	if uni == nil || uni.Cleared || uni.Expected.Contains(uni.Observed) || uni.Labels["task"] != "load" {
		t.Fatalf("rows out: %+v (all: %+v)", uni, sk.signals)
	}
	if group == nil || group.Cleared || len(group.Features) == 0 || group.Evidence == "" {
		t.Fatalf("group: %+v (all: %+v)", group, sk.signals)
	}
	if top := group.Features[0].Name; top != "vigil_etl_task_rows_out" && top != "vigil_etl_task_rows_in" {
		t.Fatalf("the group blames %s first: %+v", top, group.Features)
	}

	// Back to normal: both clear, within a few runs.
	sk.signals = nil
	for range 5 {
		at = at.Add(time.Hour)
		e.ObserveTask(normalRun(r, at))
	}
	cleared := map[string]bool{}
	for _, sg := range sk.signals {
		if sg.Cleared {
			cleared[sg.Labels["__name__"]] = true
		}
	}
	if !cleared["vigil_etl_task_rows_out"] || !cleared[GroupMetric] {
		t.Fatalf("not cleared: %+v", sk.signals)
	}
	// An attempt reported twice, or late, is ignored.
	n := len(sk.signals)
	e.ObserveTask(bad)
	if len(sk.signals) != n {
		t.Fatalf("an old attempt was judged again")
	}
	if e.Tasks() != 1 {
		t.Fatalf("%d tasks tracked", e.Tasks())
	}

	// The scores are series.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	cancel()
	<-done
	api := s.APIHandler(series.BuildInfo{}, prometheus.NewRegistry())
	for _, metric := range []string{"vigil_etl_task_rows_out", GroupMetric} {
		req := httptest.NewRequest("GET", "/api/v1/query?"+url.Values{
			"query": {`vigil_anomaly_score{source_metric="` + metric + `", pipeline="orders", task="load"}`},
			"time":  {strconv.FormatInt(bad.At.Unix(), 10)},
		}.Encode(), nil)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		var resp struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Data.Result) != 1 {
			t.Fatalf("score of %s: %s", metric, rec.Body)
		}
		if v, _ := strconv.ParseFloat(resp.Data.Result[0].Value[1].(string), 64); v < 0.5 {
			t.Fatalf("score of %s at the bad run = %v", metric, v)
		}
	}
}

func TestTaskRunsBounded(t *testing.T) {
	e := New(Options{MaxSeries: 2, Registerer: prometheus.NewRegistry()})
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		e.ObserveTask(TaskRun{Pipeline: "p", Task: strconv.Itoa(i), At: at})
	}
	if e.Tasks() != 2 {
		t.Fatalf("%d tasks tracked, want the bound 2", e.Tasks())
	}
}

// TestTaskDetectorsSurviveARestart saves a month of a task's baselines and
// restores them in a new engine: the lost rows are still flagged at once,
// with no second warm-up.
func TestTaskDetectorsSurviveARestart(t *testing.T) {
	e := New(Options{MaxSeries: 100, Registerer: prometheus.NewRegistry()})
	r := rand.New(rand.NewPCG(3, 4))
	at := time.Now().Add(-40 * 24 * time.Hour).Truncate(24 * time.Hour)
	for range 30 * 24 {
		e.ObserveTask(normalRun(r, at))
		at = at.Add(time.Hour)
	}
	meta := newMemMeta()
	if err := e.SaveTasks(context.Background(), meta, "engine/snapshot/tasks"); err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	restarted := New(Options{Signals: sk, MaxSeries: 100, Registerer: prometheus.NewRegistry()})
	if found, err := restarted.LoadTasks(context.Background(), meta, "engine/snapshot/tasks"); !found || err != nil || restarted.Tasks() != 1 {
		t.Fatalf("load: %v %v, %d tasks", found, err, restarted.Tasks())
	}
	bad := normalRun(r, at)
	bad.RowsOut = bad.RowsIn / 10
	restarted.ObserveTask(bad)
	flagged := false
	for _, sg := range sk.signals {
		flagged = flagged || sg.Labels["__name__"] == "vigil_etl_task_rows_out" && !sg.Cleared
	}
	if !flagged {
		t.Fatalf("the restored baseline did not flag the lost rows: %+v", sk.signals)
	}
	// An attempt older than the saved one is still ignored.
	n := len(sk.signals)
	restarted.ObserveTask(normalRun(r, at.Add(-time.Hour)))
	if len(sk.signals) != n {
		t.Fatal("an old attempt was judged after the restore")
	}
	// Garbage is an error, and nothing is loaded.
	_ = meta.Put(context.Background(), "bad", []byte("not gzip"))
	if _, err := New(Options{Registerer: prometheus.NewRegistry()}).LoadTasks(context.Background(), meta, "bad"); err == nil {
		t.Fatal("garbage loaded")
	}
	if found, err := New(Options{Registerer: prometheus.NewRegistry()}).LoadTasks(context.Background(), meta, "none"); found || err != nil {
		t.Fatalf("nothing saved: %v %v", found, err)
	}
}
