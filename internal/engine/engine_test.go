package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/vigil-aiops/vigil/internal/series"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type sink struct {
	mu      sync.Mutex
	signals []Signal
}

func (s *sink) Signal(sg Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signals = append(s.signals, sg)
}

func openStore(t *testing.T, reg prometheus.Registerer) *series.Store {
	t.Helper()
	s, err := series.Open(series.Options{
		Dir: t.TempDir(), Retention: 30 * 24 * time.Hour,
		// The test writes two weeks in a moment and the engine's scores
		// trail the data, so they need room to land behind the head.
		OutOfOrderWindow: 30 * 24 * time.Hour,
		QueryTimeout:     time.Minute, QueryMaxSamples: 10_000_000, QueryLookbackDelta: 5 * time.Minute, QueryMaxConcurrent: 2,
		Limits:       series.Limits{MaxLabelNameLength: 128, MaxLabelValueLength: 1024, MaxLabelsPerSeries: 32},
		FanoutShards: 2, FanoutQueue: 1 << 16, Logger: slog.New(slog.DiscardHandler), Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// write stores one sample per minute of rows{pipeline=p} from values,
// through the store's appender like any receiver.
func write(s *series.Store, reg prometheus.Registerer, start time.Time, p string, values []float64) {
	w := s.NewSelfWriter("engine", reg)
	for i, v := range values {
		w.Write("rows", map[string]string{"pipeline": p}, start.Add(time.Duration(i)*time.Minute), v)
	}
}

// TestEngineFindsASpikeAndWritesScores runs two weeks of a daily pattern
// with noise and one spike through the store; the engine must signal the
// spike, not the normal days, and its scores must be queryable.
func TestEngineFindsASpikeAndWritesScores(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openStore(t, reg)
	sk := &sink{}
	e := New(Options{Writer: s.NewSelfWriter("engine", reg), Signals: sk, MaxSeries: 100, IdleAfter: time.Hour, Registerer: reg})
	s.Subscribe(e)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()

	start := time.Now().Add(-15 * 24 * time.Hour).Truncate(time.Hour)
	r := rand.New(rand.NewPCG(1, 2))
	n := 14 * 24 * 60
	values := make([]float64, n)
	spike := n - 600
	for i := range values {
		hour := float64(i%(24*60)) / 60
		values[i] = 1000 + 400*math.Sin(hour/24*2*math.Pi) + r.NormFloat64()*20
	}
	values[spike] *= 4
	// A day at a time, letting the engine catch up in between: the test's
	// writer and the engine's write-back then do not commit side by side,
	// which the TSDB's head-chunk writer does not always survive when most
	// appends are out of order (prometheus/prometheus#10291).
	day := 24 * 60
	for from := 0; from < n; from += day {
		to := min(from+day, n)
		write(s, prometheus.NewRegistry(), start.Add(time.Duration(from)*time.Minute), "orders", values[from:to])
		for deadline := time.Now().Add(30 * time.Second); testutil.ToFloat64(e.m.samples) < float64(to) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	<-done

	sk.mu.Lock()
	defer sk.mu.Unlock()
	spikeAt := start.Add(time.Duration(spike) * time.Minute)
	found := false
	for _, sg := range sk.signals {
		if sg.Kind == KindAnomaly && !sg.Cleared && !sg.At.Before(spikeAt) && sg.At.Sub(spikeAt) <= 5*time.Minute {
			found = true
			if sg.Labels["pipeline"] != "orders" || sg.Expected.Contains(sg.Observed) || sg.Detectors == "none" {
				t.Fatalf("the spike's signal does not explain itself: %+v", sg)
			}
		}
	}
	if !found {
		t.Fatalf("no anomaly signal at the spike (%v); got %d signals", spikeAt, len(sk.signals))
	}
	// After the first day of learning, false alarms must be rare.
	falseAlarms := 0
	for _, sg := range sk.signals {
		if sg.Kind == KindAnomaly && !sg.Cleared && sg.At.After(start.Add(24*time.Hour)) && (sg.At.Before(spikeAt) || sg.At.Sub(spikeAt) > 30*time.Minute) {
			falseAlarms++
		}
	}
	if falseAlarms > 3 {
		t.Fatalf("%d anomaly signals on normal data after the first day", falseAlarms)
	}

	api := s.APIHandler(series.BuildInfo{}, prometheus.NewRegistry())
	query := func(q string) float64 {
		t.Helper()
		req := httptest.NewRequest("GET", "/api/v1/query?"+url.Values{"query": {q}, "time": {strconv.FormatInt(spikeAt.Unix(), 10)}}.Encode(), nil)
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
			t.Fatalf("%s: %s", q, rec.Body)
		}
		v, _ := strconv.ParseFloat(resp.Data.Result[0].Value[1].(string), 64)
		return v
	}
	if v := query(`vigil_anomaly_score{source_metric="rows", pipeline="orders"}`); v < 0.5 {
		t.Fatalf("anomaly score at the spike = %v", v)
	}
	// The alert state is on at the spike, and the spike lies outside the
	// expected band, which holds the normal level.
	if v := query(`vigil_anomaly_state{source_metric="rows", pipeline="orders"}`); v != 1 {
		t.Fatalf("anomaly state at the spike = %v", v)
	}
	lo, hi := query(`vigil_anomaly_expected_lower{source_metric="rows"}`), query(`vigil_anomaly_expected_upper{source_metric="rows"}`)
	if observed := values[spike]; !(lo < hi && hi < observed && lo < 1400 && hi > 600) {
		t.Fatalf("band %g..%g at the spike of %g", lo, hi, observed)
	}
	// The engine never observes its own output.
	if e.Series() != 1 {
		t.Fatalf("engine tracks %d series, want 1 (rows only)", e.Series())
	}
}

func TestEngineBoundsAndReclaims(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := New(Options{MaxSeries: 3, IdleAfter: time.Hour, Registerer: reg})
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	var batch []series.Sample
	for i := range 5 {
		batch = append(batch, series.Sample{Ref: uint64(i + 1), Labels: series.FromMap(map[string]string{"__name__": "m", "i": strconv.Itoa(i)}), T: t0.UnixMilli(), V: 1})
	}
	e.Observe(batch)
	if e.Series() != 3 {
		t.Fatalf("%d series tracked, want the bound 3", e.Series())
	}
	// Series 1 keeps reporting; the others go quiet.
	e.Observe([]series.Sample{{Ref: 1, Labels: batch[0].Labels, T: t0.Add(2 * time.Hour).UnixMilli(), V: 1}})
	if n := e.Reclaim(t0.Add(2 * time.Hour)); n != 2 || e.Series() != 1 {
		t.Fatalf("reclaimed %d, %d left; want 2 and 1", n, e.Series())
	}
	// NaN, ±Inf, duplicates and time going back neither panic nor count twice.
	e.Observe([]series.Sample{
		{Ref: 1, Labels: batch[0].Labels, T: t0.Add(3 * time.Hour).UnixMilli(), V: math.NaN()},
		{Ref: 1, Labels: batch[0].Labels, T: t0.Add(3 * time.Hour).UnixMilli(), V: 5},
		{Ref: 1, Labels: batch[0].Labels, T: t0.Add(time.Hour).UnixMilli(), V: 5},
		{Ref: 1, Labels: batch[0].Labels, T: t0.Add(4 * time.Hour).UnixMilli(), V: math.Inf(1)},
	})
}

func TestRecentKeepsTheNewest(t *testing.T) {
	r := NewRecent(3)
	for i := range 5 {
		r.Signal(Signal{Subject: strconv.Itoa(i)})
	}
	got := r.List()
	if len(got) != 3 || got[0].Subject != "4" || got[2].Subject != "2" {
		t.Fatalf("got %+v", got)
	}
}
