package etl

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

func TestLineageRecorder(t *testing.T) {
	ctx := context.Background()
	store, err := state.Open(ctx, state.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec := LineageRecorder{Store: store}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	ev := func(typ lineage.EventType, runID string, at time.Time) lineage.RunEvent {
		return lineage.RunEvent{EventType: typ, EventTime: at, Run: lineage.Run{RunID: runID},
			Job: lineage.Job{Namespace: "airflow://prod", Name: "dag.extract"}}
	}
	const a, b = "3f1c6a70-52f5-4ba8-9a3c-6b2f1d0e8a11", "8d0c9a64-1e2f-4b9a-b0b4-2a4b3d7c9e55"
	fail := ev(lineage.EventFail, b, t0.Add(3*time.Minute))
	fail.Run.Facets.ErrorMessage = &lineage.ErrorMessageRunFacet{Message: "Task exited with return code 1", ProgrammingLanguage: "PYTHON"}
	for _, e := range []lineage.RunEvent{
		ev(lineage.EventStart, a, t0),
		ev(lineage.EventComplete, a, t0.Add(time.Minute)),
		ev(lineage.EventStart, a, t0.Add(2*time.Minute)), // Late or repeated: ignored.
		ev(lineage.EventStart, b, t0.Add(2*time.Minute)),
		fail,
		fail, // Retried by the sender.
	} {
		if err := rec.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	pipeline := ExternalPipeline("airflow://prod", "dag.extract")
	if pipeline != "ol:airflow:__prod:dag.extract" {
		t.Fatalf("pipeline name %q", pipeline)
	}
	runs, err := store.ETL().ListRuns(ctx, state.RunFilter{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	byID := map[string]state.Run{}
	for _, r := range runs {
		byID[r.ID] = r
	}
	ra, rb := byID[pipeline+"/"+a], byID[pipeline+"/"+b]
	if ra.State != state.RunSuccess || !ra.Started.Equal(t0) || !ra.Ended.Equal(t0.Add(time.Minute)) || ra.Trigger != "openlineage" {
		t.Fatalf("run a: %+v", ra)
	}
	if rb.State != state.RunFailed || rb.Error != "Task exited with return code 1" {
		t.Fatalf("run b: %+v", rb)
	}
	ps, err := store.ETL().Pipelines(ctx)
	if err != nil || len(ps) != 1 || ps[0].Pipeline != pipeline {
		t.Fatalf("pipelines: %+v %v", ps, err)
	}
}
