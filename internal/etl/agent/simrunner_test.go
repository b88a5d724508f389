package agent

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

func simAssignment(task string, logical time.Time, attempt int) Assignment {
	return Assignment{
		AttemptRef:  AttemptRef{RunID: "orders/" + logical.Format(time.RFC3339), Task: task, Attempt: attempt},
		Pipeline:    "orders",
		LogicalTime: logical,
		Spec:        spec.Task{Name: task, Kind: spec.KindExtract},
		Timeout:     time.Hour,
		Started:     logical,
	}
}

func TestSimRunnerIsDeterministic(t *testing.T) {
	a := NewSimRunner(SimModel{Seed: 1}, nil)
	b := NewSimRunner(SimModel{Seed: 1}, nil)
	c := NewSimRunner(SimModel{Seed: 2}, nil)
	as := simAssignment("extract", t0.Add(14*time.Hour), 1)
	da, ra := a.Model(as)
	db, rb := b.Model(as)
	dc, rc := c.Model(as)
	if da != db || ra.RowsIn != rb.RowsIn || ra.Error != rb.Error {
		t.Fatalf("same seed: %v %+v vs %v %+v", da, ra, db, rb)
	}
	if da == dc && ra.RowsIn == rc.RowsIn {
		t.Fatalf("seeds 1 and 2 modelled the same attempt: %v %+v", da, ra)
	}
	// Every attempt of a run sees the same data.
	_, r2 := a.Model(simAssignment("extract", t0.Add(14*time.Hour), 2))
	if !r2.Failed() && !ra.Failed() && r2.RowsIn != ra.RowsIn {
		t.Fatalf("attempts 1 and 2 of one run read %d and %d rows", ra.RowsIn, r2.RowsIn)
	}
}

// TestSimRunnerSeasons averages the modelled volume over many tasks to see
// the daily and weekly seasons and the growth.
func TestSimRunnerSeasons(t *testing.T) {
	r := NewSimRunner(SimModel{Seed: 3, TransientRate: 1e-9, PermanentRate: 1e-9}, nil)
	mean := func(at time.Time) float64 {
		var sum float64
		for i := range 200 {
			as := simAssignment("t"+string(rune('a'+i%26))+string(rune('a'+i/26)), at, 1)
			_, res := r.Model(as)
			sum += math.Log(float64(res.RowsIn))
		}
		return sum / 200
	}
	monday := t0 // 2030-01-07 is a Monday.
	afternoon, night := mean(monday.Add(14*time.Hour)), mean(monday.Add(2*time.Hour))
	saturday := mean(monday.Add(5*24*time.Hour + 14*time.Hour))
	later := mean(monday.Add(8*7*24*time.Hour + 14*time.Hour))
	if afternoon <= night+0.3 {
		t.Errorf("afternoon volume %.2f is not well above night %.2f (log rows)", afternoon, night)
	}
	if saturday >= afternoon-0.3 {
		t.Errorf("Saturday volume %.2f is not well below Monday %.2f", saturday, afternoon)
	}
	if later <= afternoon {
		t.Errorf("volume eight weeks later %.2f has not grown from %.2f", later, afternoon)
	}
}

func TestSimRunnerFailures(t *testing.T) {
	r := NewSimRunner(SimModel{Seed: 4, TransientRate: 0.2, PermanentRate: 0.05}, nil)
	var transient, permanent int
	const n = 2000
	for i := range n {
		_, res := r.Model(simAssignment("x", t0.Add(time.Duration(i)*time.Hour), 1))
		switch res.Class {
		case spec.ClassConnection, spec.ClassHTTP5xx, spec.ClassRateLimited, spec.ClassLocked:
			transient++
		case spec.ClassData, spec.ClassSchema:
			permanent++
		case "":
		default:
			t.Fatalf("unexpected class %q", res.Class)
		}
	}
	if f := float64(transient) / n; f < 0.15 || f > 0.25 {
		t.Errorf("transient failure rate %.3f, want about 0.2", f)
	}
	if f := float64(permanent) / n; f < 0.03 || f > 0.07 {
		t.Errorf("permanent failure rate %.3f, want about 0.05", f)
	}
}

// TestSimRunnerRunWaitsOnClock checks the Run path: it waits for the
// modelled duration on the runner's clock.
func TestSimRunnerRunWaitsOnClock(t *testing.T) {
	sim := clock.NewSim(t0)
	r := NewSimRunner(SimModel{Seed: 5, TransientRate: 1e-9, PermanentRate: 1e-9}, sim)
	as := simAssignment("x", t0, 1)
	d, want := r.Model(as)
	done := make(chan Result)
	go func() { done <- r.Run(t.Context(), as) }()
	for sim.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	sim.Advance(d - time.Millisecond)
	select {
	case <-done:
		t.Fatal("Run returned before the modelled duration")
	case <-time.After(10 * time.Millisecond):
	}
	sim.Advance(time.Millisecond)
	if got := <-done; got.RowsIn != want.RowsIn || got.Wall != d {
		t.Fatalf("Run = %+v, want %+v", got, want)
	}
}
