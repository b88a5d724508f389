package forecast

import (
	"errors"
	"math"
	"testing"
)

func TestLocalTrend(t *testing.T) {
	const period = 24
	season := func(i int) float64 { return 10 * math.Sin(2*math.Pi*float64(i%period)/period) }
	// A line under a daily profile is recovered exactly.
	var y []float64
	for i := range 10 * period {
		y = append(y, 100-0.5*float64(i)+season(i))
	}
	m := LocalTrend{Period: period, Window: 2 * period}
	mean, lo, hi, err := m.Predict(y, 48, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mean {
		want := 100 - 0.5*float64(len(y)+i) + season(len(y)+i)
		if math.Abs(v-want) > 1e-6 || lo[i] > v || hi[i] < v {
			t.Fatalf("step %d: %g (%g..%g), want %g", i, v, lo[i], hi[i], want)
		}
	}
	// A sawtooth with no trend: the level a day ahead is today's.
	y = y[:0]
	for i := range 10 * period {
		y = append(y, 100-60*float64(i%period)/period)
	}
	mean, _, _, err = m.Predict(y, period, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	if d := mean[period-1] - y[len(y)-1]; math.Abs(d) > 1 {
		t.Fatalf("sawtooth drifts by %g a day", d)
	}
	// Gaps are filled; trailing gaps shift the start.
	y = []float64{1, math.NaN(), 3, 4, math.Inf(1)}
	mean, _, _, err = LocalTrend{}.Predict(y, 1, 0.9)
	if err != nil || math.Abs(mean[0]-6) > 1e-9 {
		t.Fatalf("with gaps: %v, %v", mean, err)
	}
	if _, _, _, err := (LocalTrend{}).Predict([]float64{1, 2}, 1, 0.9); !errors.Is(err, ErrTooShort) {
		t.Fatalf("two values: %v", err)
	}
	if _, _, _, err := (LocalTrend{}).Predict([]float64{math.NaN(), math.NaN()}, 1, 0.9); !errors.Is(err, ErrNoData) {
		t.Fatalf("no data: %v", err)
	}
	if _, _, _, err := (LocalTrend{}).Predict([]float64{1, 2, 3}, 0, 0.9); !errors.Is(err, ErrHorizon) {
		t.Fatalf("no horizon: %v", err)
	}
	// A constant series stays constant, with a zero-width interval.
	mean, lo, hi, err = LocalTrend{Period: 4}.Predict([]float64{5, 5, 5, 5, 5, 5, 5, 5, 5}, 3, 0.9)
	if err != nil || mean[2] != 5 || lo[2] != 5 || hi[2] != 5 {
		t.Fatalf("constant: %v %v %v %v", mean, lo, hi, err)
	}
}
