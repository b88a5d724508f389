// Package lineage speaks OpenLineage: it holds the RunEvent model, builds the
// events Vigil's ETL runtime emits, and receives the events other schedulers
// send to POST /api/v1/lineage.
//
// OpenLineage (https://openlineage.io) is how Airflow, Dagster, Spark and dbt
// report which job ran, when, and which datasets it read and wrote. Vigil
// both speaks and hears it, so that jobs run elsewhere appear next to its own
// pipelines, and so that the lineage of Vigil's own runs can be shipped to
// any OpenLineage backend.
//
// The package has four parts:
//
//   - The model (RunEvent, Run, Job, InputDataset, OutputDataset) with typed
//     facets for what Vigil uses: schema, dataQualityMetrics (on inputs and
//     on datasets), outputStatistics, errorMessage, nominalTime, parent and
//     jobType. Every other facet is kept as raw JSON in an Other map, so
//     nothing a producer sends is dropped; only properties of a typed facet
//     that its schema does not define are.
//   - A Builder that turns a Vigil pipeline run or task attempt, described
//     by plain values, into START, COMPLETE, FAIL (and ABORT, RUNNING,
//     OTHER) events, with times passed in and run IDs derived
//     deterministically (see RunUUID and DatasetIdentity).
//   - Decode and DecodeBatch, which parse incoming JSON and reject what the
//     OpenLineage schema (spec 2-0-2 and the facet schemas Vigil types)
//     forbids, with errors that name the JSON path, while ignoring unknown
//     fields as the specification asks.
//   - Handler, the HTTP endpoint, which hands each accepted event to a Sink.
//
// What it does not do: it stores nothing (the Sink does), it accepts only
// RunEvents (not the static DatasetEvent and JobEvent), it does not send
// events anywhere, and it does not authenticate or rate-limit requests: that
// belongs to the HTTP server in front of it.
package lineage
