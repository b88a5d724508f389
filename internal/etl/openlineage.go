package etl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

// LineageRecorder stores the RunEvents that Airflow, Dagster, Spark or dbt
// send to POST /api/v1/lineage, so that their jobs appear as pipelines and
// their runs in the run history next to Vigil's own. It implements
// lineage.Sink. Events are idempotent: a repeated event changes nothing,
// and a late START never reopens a run that has ended.
type LineageRecorder struct {
	Store *state.Store
}

// ExternalPipeline names the pipeline of an OpenLineage job:
// ol:<namespace>:<job>, with any / replaced so run IDs stay
// <pipeline>/<run>.
func ExternalPipeline(namespace, job string) string {
	clean := strings.NewReplacer("/", "_", " ", "_")
	return "ol:" + clean.Replace(namespace) + ":" + clean.Replace(job)
}

// Record implements lineage.Sink.
func (r LineageRecorder) Record(ctx context.Context, ev lineage.RunEvent) error {
	pipeline := ExternalPipeline(ev.Job.Namespace, ev.Job.Name)
	id := pipeline + "/" + ev.Run.RunID
	at := ev.EventTime.UTC()
	return r.Store.InTx(ctx, func(tx *state.Tx) error {
		run, err := tx.ETL().Run(ctx, id)
		switch {
		case errors.Is(err, state.ErrNotFound):
			logical := at
			if nt := ev.Run.Facets.NominalTime; nt != nil && !nt.NominalStartTime.IsZero() {
				logical = nt.NominalStartTime.UTC()
			}
			run = state.Run{ID: id, Pipeline: pipeline, LogicalTime: logical, Trigger: "openlineage", State: state.RunRunning, Created: at}
		case err != nil:
			return err
		}
		if run.State.Terminal() {
			return nil // Ended runs stay as they ended.
		}
		switch ev.EventType {
		case lineage.EventStart, lineage.EventRunning:
			if run.Started.IsZero() || at.Before(run.Started) {
				run.Started = at
			}
		case lineage.EventComplete:
			run.State, run.Ended = state.RunSuccess, at
		case lineage.EventFail:
			run.State, run.Ended = state.RunFailed, at
			if em := ev.Run.Facets.ErrorMessage; em != nil {
				run.Error = em.Message
			}
		case lineage.EventAbort:
			run.State, run.Ended = state.RunCancelled, at
		}
		if run.Started.IsZero() {
			run.Started = at
		}
		if err := tx.ETL().SaveRuns(ctx, run); err != nil {
			return fmt.Errorf("record OpenLineage run %s: %w", id, err)
		}
		return tx.ETL().SavePipelines(ctx, state.PipelineState{Pipeline: pipeline, LastRun: run.Created, Updated: at})
	})
}
