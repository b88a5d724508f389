package etl

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/lineage"
)

func TestMetricsAndLineage(t *testing.T) {
	a := testTask("a", nil, withRetries(1, time.Second, spec.ClassConnection), func(t *spec.Task) { t.Outputs = []string{"w.a"} })
	b := testTask("b", nil, func(t *spec.Task) { t.Inputs = []string{"w.a"}; t.Outputs = []string{"w.b"} })
	h := newHarness(t, testPipeline("p", []spec.Task{a, b}, func(p *spec.Pipeline) { p.SLA = spec.Duration(time.Hour) }))
	h.tick()
	h.heartbeat("w")
	h.fail(h.claim("w", 1)[0], spec.ClassConnection)
	h.advance(time.Second)
	h.succeed(h.claim("w", 1)[0])
	h.succeed(h.claim("w", 1)[0])
	h.advance(time.Minute)
	h.tick()

	want := []string{
		MetricAgentUtilization, MetricDatasetFreshness, MetricQueuedTasks,
		MetricRunDuration, MetricRunLateness, MetricRunsTotal,
		MetricTaskBytes, MetricTaskCPU, MetricTaskDuration, MetricTaskErrorsTotal, MetricTaskPeakMemory,
		MetricTaskQueueWait, MetricTaskRetriesTotal, MetricTaskRowsIn, MetricTaskRowsOut,
	}
	slices.Sort(want)
	if got := h.samples.names(); !slices.Equal(got, want) {
		t.Errorf("metrics written = %v\nwant %v", got, want)
	}
	for _, s := range []string{
		`vigil_etl_task_errors_total{class=connection,pipeline=p,task=a} 1`,
		`vigil_etl_task_retries_total{pipeline=p,task=a} 1`,
		`vigil_etl_runs_total{pipeline=p,state=success} 1`,
		`vigil_etl_dataset_freshness_seconds{dataset=w.b,pipeline=p} 60`,
		`vigil_etl_task_rows_out{pipeline=p,task=b} 10`,
	} {
		if !slices.Contains(h.samples.samples, s) {
			t.Errorf("no sample %s among %v", s, h.samples.samples)
		}
	}

	wantEvents := []string{
		"START p", "START p.a", "FAIL p.a", "START p.a", "COMPLETE p.a", "START p.b", "COMPLETE p.b", "COMPLETE p",
	}
	if got := h.events.summary(); !slices.Equal(got, wantEvents) {
		t.Fatalf("lineage events = %v\nwant %v", got, wantEvents)
	}
	last := h.events.events[6] // COMPLETE p.b
	if len(last.Inputs) != 1 || last.Inputs[0].Name == "" || len(last.Outputs) != 1 {
		t.Fatalf("COMPLETE p.b has inputs %+v and outputs %+v, want one of each", last.Inputs, last.Outputs)
	}
	if last.Run.RunID != lineage.TaskRunUUID(DefaultLineageNamespace, runID("p", t0), "b", 1) {
		t.Errorf("task event run ID %s is not the attempt's", last.Run.RunID)
	}
}
