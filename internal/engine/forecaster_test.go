package engine

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/series"
)

// TestForecasterPredictsExhaustion stores a week of two disks' free space
// at five-minute resolution: one fills up steadily under its daily rhythm
// and runs out about ten hours from now; the other follows a deep daily
// sawtooth (a nightly cleanup) with no trend, which a straight line through
// its falling edge would call a disk about to fill. Only the first must be
// predicted, with a lead time near ten hours; both get forecast series.
func TestForecasterPredictsExhaustion(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openStore(t, reg)
	w := s.NewSelfWriter("test", reg)
	now := time.Now().Truncate(5 * time.Minute)
	start := now.Add(-7 * 24 * time.Hour)
	for ts := start; !ts.After(now); ts = ts.Add(5 * time.Minute) {
		hours := now.Sub(ts).Hours()
		day := math.Mod(float64(ts.Unix())/3600, 24) / 24
		w.Write("disk_free_gb", map[string]string{"disk": "filling"}, ts, 20+2*hours+3*math.Sin(2*math.Pi*day))
		w.Write("disk_free_gb", map[string]string{"disk": "sawtooth"}, ts, 100-60*day)
	}
	limit := 0.0
	sk := &sink{}
	f, err := NewForecaster(ForecasterOptions{Store: s, Targets: []ForecastTarget{{Query: "disk_free_gb", Limit: &limit}},
		Step: 5 * time.Minute, History: 7 * 24 * time.Hour, Horizon: 24 * time.Hour, MaxSeries: 10, Signals: sk, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	f.RunOnce(context.Background(), now)
	var predicted []string
	for _, sg := range sk.signals {
		if sg.Cleared {
			continue
		}
		predicted = append(predicted, sg.Labels["disk"])
		if sg.Kind != KindPrediction || sg.Lead < 7*time.Hour || sg.Lead > 13*time.Hour || !strings.Contains(sg.Evidence, "forecast to reach 0") {
			t.Errorf("prediction %+v", sg)
		}
	}
	if len(predicted) != 1 || predicted[0] != "filling" {
		t.Fatalf("predicted exhaustion of %v, want [filling]", predicted)
	}
	rs, err := s.QueryRange(context.Background(), `vigil_forecast{source_metric="disk_free_gb"}`, now.Add(time.Hour), now.Add(23*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bounds := map[string]int{}
	for _, r := range rs {
		bounds[r.Labels.Get("disk")+"/"+r.Labels.Get("bound")] = len(r.V)
	}
	for _, d := range []string{"filling", "sawtooth"} {
		for _, b := range []string{"mean", "lower", "upper"} {
			if bounds[d+"/"+b] != 23 {
				t.Errorf("forecast %s/%s has %d hourly points in the next day, want 23 (all: %v)", d, b, bounds[d+"/"+b], bounds)
			}
		}
	}

	// The filling disk is cleaned up: the prediction clears.
	for ts := now.Add(5 * time.Minute); !ts.After(now.Add(time.Hour)); ts = ts.Add(5 * time.Minute) {
		w.Write("disk_free_gb", map[string]string{"disk": "filling"}, ts, 500)
		w.Write("disk_free_gb", map[string]string{"disk": "sawtooth"}, ts, 100)
	}
	sk.signals = nil
	f.RunOnce(context.Background(), now.Add(time.Hour))
	if len(sk.signals) != 1 || !sk.signals[0].Cleared || sk.signals[0].Labels["disk"] != "filling" {
		t.Fatalf("after the cleanup: %+v", sk.signals)
	}
	if len(f.Predictions()) != 0 {
		t.Fatalf("predictions in force: %+v", f.Predictions())
	}
}

func TestForecasterBadInput(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openStore(t, reg)
	if _, err := NewForecaster(ForecasterOptions{Store: s, Step: time.Minute, History: time.Minute, Horizon: time.Hour, MaxSeries: 1}); err == nil {
		t.Fatal("a history shorter than two steps was accepted")
	}
	w := s.NewSelfWriter("test", reg)
	now := time.Now().Truncate(time.Minute)
	// A constant series, one with a single sample, and a bad query.
	for i := range 120 {
		w.Write("flat", nil, now.Add(-time.Duration(i)*time.Minute), 7)
	}
	w.Write("single", nil, now, 3)
	f, err := NewForecaster(ForecasterOptions{Store: s, Targets: []ForecastTarget{{Query: "flat"}, {Query: "single"}, {Query: "rate(("}},
		Step: time.Minute, History: 2 * time.Hour, Horizon: time.Hour, MaxSeries: 10, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	f.RunOnce(context.Background(), now)
	rs, err := s.QueryRange(context.Background(), `vigil_forecast{bound="mean"}`, now.Add(time.Minute), now.Add(time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range rs {
		for _, v := range r.V {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite forecast of %s", r.Labels)
			}
		}
		got[r.Labels.Get("source_metric")] = r.V[len(r.V)-1]
	}
	if got["flat"] != 7 {
		t.Fatalf("constant series forecast %v", got)
	}
	if _, ok := got["single"]; !ok {
		t.Fatalf("a one-sample series got no fallback forecast: %v", got)
	}
	_ = series.Labels{}
}
