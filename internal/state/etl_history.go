package state

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// attemptColumns are the columns queryAttempts reads, in its order.
const attemptColumns = `run_id, task, attempt, agent, state, started_us, ended_us,
	rows_in, rows_out, bytes, cpu_us, wall_us, peak_memory, error, error_class`

// attemptStates returns every AttemptState.
func attemptStates() []AttemptState {
	return []AttemptState{AttemptRunning, AttemptSuccess, AttemptFailed, AttemptLost, AttemptCancelled}
}

// SaveAttempts writes attempt records, inserting those that do not exist
// and replacing the others. Their task instances must exist.
func (e ETL) SaveAttempts(ctx context.Context, attempts ...Attempt) (err error) {
	rows := make([][]any, len(attempts))
	for i, a := range attempts {
		if a.RunID == "" || a.Task == "" || a.Attempt < 1 || a.Started.IsZero() || !slices.Contains(attemptStates(), a.State) {
			return fmt.Errorf("save attempts: %w: attempt %d of %s/%s needs a run, a task, a number from 1, a start and a known state, not %q",
				errInvalid, a.Attempt, a.RunID, a.Task, a.State)
		}
		rows[i] = []any{a.RunID, a.Task, a.Attempt, a.Agent, string(a.State), toMicros(a.Started), toMicros(a.Ended),
			a.RowsIn, a.RowsOut, a.Bytes, a.CPU.Microseconds(), a.Wall.Microseconds(), a.PeakMemory, a.Error, a.ErrorClass}
	}
	defer e.sc.store.observe(opETLAttemptSave, &err)
	err = e.execEach(ctx, `INSERT INTO etl_attempts (`+attemptColumns+`) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (run_id, task, attempt) DO UPDATE SET
			agent = excluded.agent, state = excluded.state, started_us = excluded.started_us,
			ended_us = excluded.ended_us, rows_in = excluded.rows_in, rows_out = excluded.rows_out,
			bytes = excluded.bytes, cpu_us = excluded.cpu_us, wall_us = excluded.wall_us,
			peak_memory = excluded.peak_memory, error = excluded.error, error_class = excluded.error_class`, rows)
	if err != nil {
		return fmt.Errorf("save %d attempts: %w", len(attempts), err)
	}
	return nil
}

// Attempts returns the attempts of a task instance, first to last.
func (e ETL) Attempts(ctx context.Context, runID, task string) (_ []Attempt, err error) {
	defer e.sc.store.observe(opETLAttemptList, &err)
	rows, err := e.sc.conn().query(ctx,
		`SELECT `+attemptColumns+` FROM etl_attempts WHERE run_id = $1 AND task = $2 ORDER BY attempt`, runID, task)
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s/%s: %w", runID, task, err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var (
			a              Attempt
			started, ended int64
			cpu, wall      int64
		)
		err := rows.Scan(&a.RunID, &a.Task, &a.Attempt, &a.Agent, &a.State, &started, &ended,
			&a.RowsIn, &a.RowsOut, &a.Bytes, &cpu, &wall, &a.PeakMemory, &a.Error, &a.ErrorClass)
		if err != nil {
			return nil, fmt.Errorf("list attempts of %s/%s: %w", runID, task, err)
		}
		a.Started, a.Ended = fromMicros(started), fromMicros(ended)
		a.CPU, a.Wall = time.Duration(cpu)*time.Microsecond, time.Duration(wall)*time.Microsecond
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list attempts of %s/%s: %w", runID, task, err)
	}
	return out, nil
}

// AppendLogs stores log lines. A line whose (run, task, attempt, seq) is
// already stored is left as it is, so that a repeated report adds nothing.
// The caller bounds the number of lines per attempt.
func (e ETL) AppendLogs(ctx context.Context, lines ...LogLine) (err error) {
	rows := make([][]any, len(lines))
	for i, l := range lines {
		if l.RunID == "" || l.Task == "" || l.Attempt < 1 || l.Seq < 0 {
			return fmt.Errorf("append logs: %w: line %d of attempt %d of %s/%s needs a run, a task, an attempt from 1 and a sequence from 0",
				errInvalid, l.Seq, l.Attempt, l.RunID, l.Task)
		}
		rows[i] = []any{l.RunID, l.Task, l.Attempt, l.Seq, toMicros(l.At), l.Level, l.Line}
	}
	defer e.sc.store.observe(opETLLogAppend, &err)
	err = e.execEach(ctx, `INSERT INTO etl_task_logs (run_id, task, attempt, seq, at_us, level, line)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (run_id, task, attempt, seq) DO NOTHING`, rows)
	if err != nil {
		return fmt.Errorf("append %d log lines: %w", len(lines), err)
	}
	return nil
}

// Logs returns up to limit (zero or less: 100) log lines of a task
// instance, of one attempt or, if attempt is 0, of all, in attempt and
// sequence order.
func (e ETL) Logs(ctx context.Context, runID, task string, attempt, limitN int) (_ []LogLine, err error) {
	defer e.sc.store.observe(opETLLogList, &err)
	var w where
	w.add("run_id = $%d", runID)
	w.add("task = $%d", task)
	if attempt > 0 {
		w.add("attempt = $%d", attempt)
	}
	query := `SELECT run_id, task, attempt, seq, at_us, level, line FROM etl_task_logs` + w.String() +
		fmt.Sprintf(` ORDER BY attempt, seq LIMIT $%d`, w.arg(limit(limitN)))
	rows, err := e.sc.conn().query(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list logs of %s/%s: %w", runID, task, err)
	}
	defer rows.Close()
	var out []LogLine
	for rows.Next() {
		var (
			l  LogLine
			at int64
		)
		if err := rows.Scan(&l.RunID, &l.Task, &l.Attempt, &l.Seq, &at, &l.Level, &l.Line); err != nil {
			return nil, fmt.Errorf("list logs of %s/%s: %w", runID, task, err)
		}
		l.At = fromMicros(at)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list logs of %s/%s: %w", runID, task, err)
	}
	return out, nil
}
