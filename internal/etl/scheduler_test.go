package etl

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// hourly returns an hourly pipeline of one task with the catch-up policy.
func hourly(name string, policy spec.CatchupPolicy) *spec.Pipeline {
	return testPipeline(name, []spec.Task{testTask("a", nil)}, func(p *spec.Pipeline) {
		p.Catchup = policy
		p.MaxActiveRuns = 10
	})
}

// ids returns the run IDs of pipeline for the given hours after t0.
func ids(pipeline string, hours ...int) []string {
	var out []string
	for _, h := range hours {
		out = append(out, runID(pipeline, t0.Add(time.Duration(h)*time.Hour)))
	}
	return out
}

func TestCatchup(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			so := b.open(t)
			for _, tc := range []struct {
				policy spec.CatchupPolicy
				// After an outage from 00:00 to 05:30, and then at 06:00.
				at0530, at0600 []string
			}{
				{spec.CatchupNone, nil, ids("p_none", 6)},
				{spec.CatchupLatest, ids("p_latest", 5), ids("p_latest", 6)},
				{spec.CatchupAll, ids("p_all", 1, 2, 3, 4, 5), ids("p_all", 6)},
			} {
				t.Run(string(tc.policy), func(t *testing.T) {
					name := "p_" + string(tc.policy)
					h := newHarnessOn(t, so, hourly(name, tc.policy))
					h.tick()
					h.tick() // Ticking twice at one time changes nothing.
					if got, want := h.runs(name), ids(name, 0); !slices.Equal(got, want) {
						t.Fatalf("runs at 00:00 = %v, want %v", got, want)
					}
					// The controller is down from 00:00 to 05:30.
					h.clock.Set(t0.Add(5*time.Hour + 30*time.Minute))
					h.restart()
					h.tick()
					if got, want := h.runs(name)[1:], tc.at0530; !slices.Equal(got, want) {
						t.Fatalf("runs created at 05:30 = %v, want %v", got, want)
					}
					h.clock.Set(t0.Add(6 * time.Hour))
					before := len(h.runs(name))
					h.tick()
					h.restart()
					h.tick() // A restart schedules nothing twice.
					if got, want := h.runs(name)[before:], tc.at0600; !slices.Equal(got, want) {
						t.Fatalf("runs created at 06:00 = %v, want %v", got, want)
					}
					for _, id := range h.runs(name) {
						if r := h.run(id); r.Trigger != TriggerSchedule {
							t.Errorf("run %s has trigger %q, want schedule", id, r.Trigger)
						}
					}
				})
			}
		})
	}
}

func TestCatchupAllIsBounded(t *testing.T) {
	h := newHarness(t, hourly("p", spec.CatchupAll))
	h.opts.CatchupLimit = 3
	h.restart()
	h.tick() // 00:00 runs: one queued run is left after admission.
	// Pause so that nothing starts, and miss ten slots.
	if err := h.ctrl.Pause(t.Context(), Actor{Who: "test"}, "p"); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(t0.Add(10 * time.Hour))
	if err := h.ctrl.Resume(t.Context(), Actor{Who: "test"}, "p"); err != nil {
		t.Fatal(err)
	}
	h.tick()
	// Resume admits nothing new (the 00:00 run holds max_active_runs 10
	// with room); runs are created oldest first up to three queued at once.
	got := h.runs("p")
	if len(got) < 2 || got[1] != runID("p", t0.Add(time.Hour)) {
		t.Fatalf("runs = %v, want the oldest missed slot first", got)
	}
	for range 20 {
		for _, a := range h.claim("w", 100) {
			h.succeed(a)
		}
		h.tick()
	}
	if got, want := h.runs("p"), ids("p", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10); !slices.Equal(got, want) {
		t.Fatalf("runs after catching up = %v, want every slot %v", got, want)
	}
}

func TestIntervalSchedule(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil)}, func(p *spec.Pipeline) {
		p.Schedule = spec.Schedule{Interval: spec.Duration(15 * time.Minute)}
		p.MaxActiveRuns = 5
	})
	h := newHarness(t, p)
	for !h.clock.Now().After(t0.Add(50 * time.Minute)) {
		h.tick()
		next, err := h.ctrl.NextWake(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Set(next)
	}
	want := []string{runID("p", t0), runID("p", t0.Add(15*time.Minute)), runID("p", t0.Add(30*time.Minute)), runID("p", t0.Add(45*time.Minute))}
	if got := h.runs("p"); !slices.Equal(got, want) {
		t.Fatalf("runs = %v, want %v", got, want)
	}
}

func TestAfterTrigger(t *testing.T) {
	up1 := testPipeline("up1", []spec.Task{testTask("a", nil, func(t *spec.Task) { t.Outputs = []string{"w.one"} })})
	up2 := testPipeline("up2", []spec.Task{testTask("a", nil)}, func(p *spec.Pipeline) { p.Schedule.Cron = "0 */2 * * *" })
	down := testPipeline("down", []spec.Task{testTask("a", nil, func(t *spec.Task) { t.Inputs = []string{"w.one"} })},
		func(p *spec.Pipeline) {
			p.Schedule = spec.Schedule{After: []spec.NodeID{spec.DatasetID("w.one"), spec.PipelineID("up2")}}
		})
	h := newHarness(t, up1, up2, down)
	complete := func() {
		for range 5 {
			h.tick()
			as := h.claim("w", 10)
			if len(as) == 0 {
				return
			}
			for _, a := range as {
				h.succeed(a)
			}
		}
	}
	complete()
	if got, want := h.runs("down"), ids("down", 0); !slices.Equal(got, want) {
		t.Fatalf("down's runs after both upstreams ran at 00:00 = %v, want %v", got, want)
	}
	if r := h.run(runID("down", t0)); r.Trigger != TriggerAfter || r.State != state.RunSuccess {
		t.Fatalf("down's run = %+v, want a successful after-triggered run", r)
	}
	// At 01:00 only up1 runs: down waits for up2 as well.
	h.clock.Set(t0.Add(time.Hour))
	complete()
	if got := h.runs("down"); len(got) != 1 {
		t.Fatalf("down ran again with only one upstream updated: %v", got)
	}
	// At 02:00 both run again; down's run takes their logical time.
	h.clock.Set(t0.Add(2 * time.Hour))
	complete()
	if got, want := h.runs("down"), ids("down", 0, 2); !slices.Equal(got, want) {
		t.Fatalf("down's runs = %v, want %v", got, want)
	}
}

func TestLatestSlot(t *testing.T) {
	every := func(s string) spec.Schedule { return spec.Schedule{Cron: s} }
	for _, tc := range []struct {
		sched     spec.Schedule
		from, now time.Time
		want      time.Time
	}{
		{every("0 * * * *"), t0, t0, t0},
		{every("0 * * * *"), t0, t0.Add(90 * time.Minute), t0.Add(time.Hour)},
		{every("* * * * *"), t0, t0.Add(400 * 24 * time.Hour), t0.Add(400 * 24 * time.Hour)},
		{every("0 0 1 1 *"), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2033, 6, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := latestSlot(tc.sched, tc.from, tc.now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("latestSlot(%s, %s, %s) = %s, %v; want %s", tc.sched, tc.from, tc.now, got, err, tc.want)
		}
	}
}

// TestRunIDs checks the documented run ID format.
func TestRunIDs(t *testing.T) {
	got := runID("orders", time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))
	if want := "orders/2030-01-02T02:04:05Z"; got != want {
		t.Fatalf("runID = %q, want %q", got, want)
	}
}
