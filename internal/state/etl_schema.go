package state

import "fmt"

// etlSchemaSQL returns the statements of the migration that creates the ETL
// runtime's tables, with idColumn as the definition of etl_controls' surrogate
// key, the one part whose syntax differs between the dialects. Every other
// type used (TEXT, INTEGER, BIGINT, DOUBLE PRECISION) means the same on both:
// times are BIGINT Unix microseconds, durations BIGINT microseconds, flags
// INTEGER 0 or 1.
//
// Like every migration, it must never change once released.
func etlSchemaSQL(idColumn string) string {
	return fmt.Sprintf(`CREATE TABLE etl_pipelines (
	pipeline     TEXT PRIMARY KEY,
	paused       INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
	degraded     INTEGER NOT NULL DEFAULT 0 CHECK (degraded IN (0, 1)),
	next_slot_us BIGINT NOT NULL DEFAULT 0,
	last_run_us  BIGINT NOT NULL DEFAULT 0,
	updated_us   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE etl_runs (
	id           TEXT PRIMARY KEY,
	pipeline     TEXT NOT NULL,
	logical_us   BIGINT NOT NULL,
	trigger_kind TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed', 'cancelled')),
	created_us   BIGINT NOT NULL,
	started_us   BIGINT NOT NULL DEFAULT 0,
	ended_us     BIGINT NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX etl_runs_pipeline ON etl_runs (pipeline, logical_us);
CREATE INDEX etl_runs_state ON etl_runs (state, logical_us);
CREATE TABLE etl_tasks (
	run_id         TEXT NOT NULL REFERENCES etl_runs (id) ON DELETE CASCADE,
	task           TEXT NOT NULL,
	pipeline       TEXT NOT NULL,
	position       INTEGER NOT NULL,
	state          TEXT NOT NULL CHECK (state IN ('pending', 'queued', 'running', 'success', 'failed', 'skipped', 'cancelled', 'upstream_failed')),
	attempt        INTEGER NOT NULL DEFAULT 0,
	first_attempt  INTEGER NOT NULL DEFAULT 1,
	lost           INTEGER NOT NULL DEFAULT 0,
	agent          TEXT NOT NULL DEFAULT '',
	lease_until_us BIGINT NOT NULL DEFAULT 0,
	not_before_us  BIGINT NOT NULL DEFAULT 0,
	deadline_us    BIGINT NOT NULL DEFAULT 0,
	queued_us      BIGINT NOT NULL DEFAULT 0,
	started_us     BIGINT NOT NULL DEFAULT 0,
	ended_us       BIGINT NOT NULL DEFAULT 0,
	rows_in        BIGINT NOT NULL DEFAULT 0,
	rows_out       BIGINT NOT NULL DEFAULT 0,
	bytes          BIGINT NOT NULL DEFAULT 0,
	cpu_us         BIGINT NOT NULL DEFAULT 0,
	wall_us        BIGINT NOT NULL DEFAULT 0,
	peak_memory    BIGINT NOT NULL DEFAULT 0,
	error          TEXT NOT NULL DEFAULT '',
	error_class    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, task)
);
CREATE INDEX etl_tasks_history ON etl_tasks (pipeline, task, state);
CREATE TABLE etl_attempts (
	run_id      TEXT NOT NULL,
	task        TEXT NOT NULL,
	attempt     INTEGER NOT NULL,
	agent       TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('running', 'success', 'failed', 'lost', 'cancelled')),
	started_us  BIGINT NOT NULL,
	ended_us    BIGINT NOT NULL DEFAULT 0,
	rows_in     BIGINT NOT NULL DEFAULT 0,
	rows_out    BIGINT NOT NULL DEFAULT 0,
	bytes       BIGINT NOT NULL DEFAULT 0,
	cpu_us      BIGINT NOT NULL DEFAULT 0,
	wall_us     BIGINT NOT NULL DEFAULT 0,
	peak_memory BIGINT NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	error_class TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, task, attempt),
	FOREIGN KEY (run_id, task) REFERENCES etl_tasks (run_id, task) ON DELETE CASCADE
);
CREATE TABLE etl_task_logs (
	run_id  TEXT NOT NULL,
	task    TEXT NOT NULL,
	attempt INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	at_us   BIGINT NOT NULL,
	level   TEXT NOT NULL,
	line    TEXT NOT NULL,
	PRIMARY KEY (run_id, task, attempt, seq),
	FOREIGN KEY (run_id, task) REFERENCES etl_tasks (run_id, task) ON DELETE CASCADE
);
CREATE TABLE etl_controls (
	%s,
	at_us  BIGINT NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	reason TEXT NOT NULL,
	params TEXT NOT NULL
);
CREATE INDEX etl_controls_target ON etl_controls (target, id);
CREATE TABLE etl_circuits (
	endpoint   TEXT PRIMARY KEY,
	open       INTEGER NOT NULL CHECK (open IN (0, 1)),
	actor      TEXT NOT NULL,
	reason     TEXT NOT NULL,
	updated_us BIGINT NOT NULL
);
CREATE TABLE etl_agents (
	id                TEXT PRIMARY KEY,
	slots             INTEGER NOT NULL,
	cpu               DOUBLE PRECISION NOT NULL,
	memory            BIGINT NOT NULL,
	state             TEXT NOT NULL CHECK (state IN ('alive', 'dead')),
	registered_us     BIGINT NOT NULL,
	last_heartbeat_us BIGINT NOT NULL
)`, idColumn)
}
