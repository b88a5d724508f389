package state

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// runColumns are the columns scanRun reads, in its order.
const runColumns = `id, pipeline, logical_us, trigger_kind, state, created_us, started_us, ended_us, error`

// taskColumns are the columns scanTask reads, in its order.
const taskColumns = `run_id, task, pipeline, position, state, attempt, first_attempt, lost, agent,
	lease_until_us, not_before_us, deadline_us, queued_us, started_us, ended_us,
	rows_in, rows_out, bytes, cpu_us, wall_us, peak_memory, error, error_class`

// RunFilter selects the runs ListRuns returns, newest logical time first.
type RunFilter struct {
	// Pipeline selects one pipeline; empty selects all.
	Pipeline string
	// States selects runs in these states; empty selects all.
	States []RunState
	// Since and Until bound the logical time: Since <= t < Until. A zero
	// bound is open.
	Since, Until time.Time
	// Limit caps the number of runs; zero or less means 100.
	Limit int
}

// TaskFilter selects the task instances ListTasks returns: those of one run
// in position order, or those of a pipeline's task across runs, newest run
// first.
type TaskFilter struct {
	// RunID selects the tasks of one run.
	RunID string
	// Pipeline and Task select a pipeline's tasks, or one task of it.
	Pipeline, Task string
	// States selects tasks in these states; empty selects all.
	States []TaskState
	// Limit caps the number of tasks; zero or less means 100.
	Limit int
}

// CreateRun inserts run unless a run with its ID exists, and reports
// whether it did: creating the run of a slot twice is a no-op.
func (e ETL) CreateRun(ctx context.Context, run Run) (created bool, err error) {
	if err := checkRun(run); err != nil {
		return false, fmt.Errorf("create run: %w", err)
	}
	defer e.sc.store.observe(opETLRunCreate, &err)
	res, err := e.sc.conn().exec(ctx,
		`INSERT INTO etl_runs (`+runColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO NOTHING`, runArgs(run)...)
	if err != nil {
		return false, fmt.Errorf("create run %s: %w", run.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("create run %s: count inserted rows: %w", run.ID, err)
	}
	return n == 1, nil
}

// SaveRuns writes runs, inserting those that do not exist and replacing the
// others.
func (e ETL) SaveRuns(ctx context.Context, runs ...Run) (err error) {
	rows := make([][]any, len(runs))
	for i, r := range runs {
		if err := checkRun(r); err != nil {
			return fmt.Errorf("save runs: %w", err)
		}
		rows[i] = runArgs(r)
	}
	defer e.sc.store.observe(opETLRunSave, &err)
	err = e.execEach(ctx, `INSERT INTO etl_runs (`+runColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			pipeline = excluded.pipeline, logical_us = excluded.logical_us,
			trigger_kind = excluded.trigger_kind, state = excluded.state,
			created_us = excluded.created_us, started_us = excluded.started_us,
			ended_us = excluded.ended_us, error = excluded.error`, rows)
	if err != nil {
		return fmt.Errorf("save %d runs: %w", len(runs), err)
	}
	return nil
}

// Run returns the run with the given ID, or an error wrapping ErrNotFound.
func (e ETL) Run(ctx context.Context, id string) (_ Run, err error) {
	defer e.sc.store.observe(opETLRunGet, &err)
	runs, err := queryRuns(ctx, e.sc.conn(), `SELECT `+runColumns+` FROM etl_runs WHERE id = $1`, id)
	if err != nil {
		return Run{}, fmt.Errorf("get run %s: %w", id, err)
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("get run %s: %w", id, ErrNotFound)
	}
	return runs[0], nil
}

// ListRuns returns the runs that match f, newest logical time first, ties
// by descending ID.
func (e ETL) ListRuns(ctx context.Context, f RunFilter) (_ []Run, err error) {
	for _, st := range f.States {
		if !slices.Contains(runStates(), st) {
			return nil, fmt.Errorf("list runs: %w: unknown state %q", errInvalid, st)
		}
	}
	defer e.sc.store.observe(opETLRunList, &err)
	var w where
	if f.Pipeline != "" {
		w.add("pipeline = $%d", f.Pipeline)
	}
	in(&w, "state", f.States)
	if !f.Since.IsZero() {
		w.add("logical_us >= $%d", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("logical_us < $%d", f.Until.UnixMicro())
	}
	query := `SELECT ` + runColumns + ` FROM etl_runs` + w.String() +
		fmt.Sprintf(` ORDER BY logical_us DESC, id DESC LIMIT $%d`, w.arg(limit(f.Limit)))
	runs, err := queryRuns(ctx, e.sc.conn(), query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// SaveTasks writes task instances, inserting those that do not exist and
// replacing the others. Their runs must exist.
func (e ETL) SaveTasks(ctx context.Context, tasks ...TaskInstance) (err error) {
	rows := make([][]any, len(tasks))
	for i, t := range tasks {
		if t.RunID == "" || t.Task == "" || t.Pipeline == "" || !slices.Contains(taskStates(), t.State) {
			return fmt.Errorf("save tasks: %w: task %s/%s needs a run, a name, a pipeline and a known state, not %q",
				errInvalid, t.RunID, t.Task, t.State)
		}
		rows[i] = []any{t.RunID, t.Task, t.Pipeline, t.Position, string(t.State), t.Attempt, t.FirstAttempt, t.Lost, t.Agent,
			toMicros(t.LeaseUntil), toMicros(t.NotBefore), toMicros(t.Deadline), toMicros(t.Queued),
			toMicros(t.Started), toMicros(t.Ended),
			t.RowsIn, t.RowsOut, t.Bytes, t.CPU.Microseconds(), t.Wall.Microseconds(), t.PeakMemory,
			t.Error, t.ErrorClass}
	}
	defer e.sc.store.observe(opETLTaskSave, &err)
	err = e.execEach(ctx, `INSERT INTO etl_tasks (`+taskColumns+`) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT (run_id, task) DO UPDATE SET
			pipeline = excluded.pipeline, position = excluded.position, state = excluded.state,
			attempt = excluded.attempt, first_attempt = excluded.first_attempt, lost = excluded.lost,
			agent = excluded.agent, lease_until_us = excluded.lease_until_us,
			not_before_us = excluded.not_before_us, deadline_us = excluded.deadline_us,
			queued_us = excluded.queued_us, started_us = excluded.started_us, ended_us = excluded.ended_us,
			rows_in = excluded.rows_in, rows_out = excluded.rows_out, bytes = excluded.bytes,
			cpu_us = excluded.cpu_us, wall_us = excluded.wall_us, peak_memory = excluded.peak_memory,
			error = excluded.error, error_class = excluded.error_class`, rows)
	if err != nil {
		return fmt.Errorf("save %d tasks: %w", len(tasks), err)
	}
	return nil
}

// ListTasks returns the task instances that match f: a run's in position
// order, otherwise newest run first.
func (e ETL) ListTasks(ctx context.Context, f TaskFilter) (_ []TaskInstance, err error) {
	for _, st := range f.States {
		if !slices.Contains(taskStates(), st) {
			return nil, fmt.Errorf("list tasks: %w: unknown state %q", errInvalid, st)
		}
	}
	defer e.sc.store.observe(opETLTaskList, &err)
	var w where
	if f.RunID != "" {
		w.add("t.run_id = $%d", f.RunID)
	}
	if f.Pipeline != "" {
		w.add("t.pipeline = $%d", f.Pipeline)
	}
	if f.Task != "" {
		w.add("t.task = $%d", f.Task)
	}
	in(&w, "t.state", f.States)
	order := "r.logical_us DESC, t.run_id DESC, t.position, t.task"
	if f.RunID != "" {
		order = "t.position, t.task"
	}
	query := `SELECT ` + prefixed("t.", taskColumns) + ` FROM etl_tasks t JOIN etl_runs r ON r.id = t.run_id` +
		w.String() + fmt.Sprintf(` ORDER BY %s LIMIT $%d`, order, w.arg(limit(f.Limit)))
	tasks, err := queryTasks(ctx, e.sc.conn(), query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}

// Active returns every run that has not ended, oldest logical time first,
// and all their task instances, in run then position order. The controller
// resumes from them after a restart.
func (e ETL) Active(ctx context.Context) (_ []Run, _ []TaskInstance, err error) {
	defer e.sc.store.observe(opETLActive, &err)
	const active = `state IN ('queued', 'running')`
	runs, err := queryRuns(ctx, e.sc.conn(),
		`SELECT `+runColumns+` FROM etl_runs WHERE `+active+` ORDER BY logical_us, id`)
	if err != nil {
		return nil, nil, fmt.Errorf("load active runs: %w", err)
	}
	tasks, err := queryTasks(ctx, e.sc.conn(),
		`SELECT `+prefixed("t.", taskColumns)+` FROM etl_tasks t JOIN etl_runs r ON r.id = t.run_id
		WHERE r.`+active+` ORDER BY r.logical_us, t.run_id, t.position, t.task`)
	if err != nil {
		return nil, nil, fmt.Errorf("load tasks of active runs: %w", err)
	}
	return runs, tasks, nil
}

// LastSuccesses returns, for every pipeline that has succeeded, when its
// latest successful run ended (Task empty), and for every task that has
// succeeded, when it last did. The controller rebuilds dataset freshness and
// after: triggers from them after a restart.
func (e ETL) LastSuccesses(ctx context.Context) (_ []LastSuccess, err error) {
	defer e.sc.store.observe(opETLLastSuccess, &err)
	rows, err := e.sc.conn().query(ctx, `
		SELECT pipeline, '', MAX(ended_us), MAX(logical_us) FROM etl_runs
		WHERE state = 'success' GROUP BY pipeline
		UNION ALL
		SELECT t.pipeline, t.task, MAX(t.ended_us), MAX(r.logical_us)
		FROM etl_tasks t JOIN etl_runs r ON r.id = t.run_id
		WHERE t.state = 'success' GROUP BY t.pipeline, t.task
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("read last successes: %w", err)
	}
	defer rows.Close()
	var out []LastSuccess
	for rows.Next() {
		var (
			ls             LastSuccess
			ended, logical int64
		)
		if err := rows.Scan(&ls.Pipeline, &ls.Task, &ended, &logical); err != nil {
			return nil, fmt.Errorf("read last successes: %w", err)
		}
		ls.Ended, ls.LogicalTime = fromMicros(ended), fromMicros(logical)
		out = append(out, ls)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read last successes: %w", err)
	}
	return out, nil
}

// checkRun rejects a run that cannot be stored.
func checkRun(r Run) error {
	if r.ID == "" || r.Pipeline == "" || r.Trigger == "" || r.LogicalTime.IsZero() || r.Created.IsZero() {
		return fmt.Errorf("%w: run %q needs an ID, a pipeline, a trigger, a logical time and a creation time", errInvalid, r.ID)
	}
	if !slices.Contains(runStates(), r.State) {
		return fmt.Errorf("%w: run %s has unknown state %q", errInvalid, r.ID, r.State)
	}
	return nil
}

// runArgs returns r's values in runColumns order.
func runArgs(r Run) []any {
	return []any{r.ID, r.Pipeline, r.LogicalTime.UnixMicro(), r.Trigger, string(r.State),
		toMicros(r.Created), toMicros(r.Started), toMicros(r.Ended), r.Error}
}

// queryRuns runs a query that selects runColumns and scans its rows.
func queryRuns(ctx context.Context, c conn, query string, args ...any) ([]Run, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var (
			r                                Run
			logical, created, started, ended int64
		)
		if err := rows.Scan(&r.ID, &r.Pipeline, &logical, &r.Trigger, &r.State, &created, &started, &ended, &r.Error); err != nil {
			return nil, err
		}
		r.LogicalTime, r.Created, r.Started, r.Ended = fromMicros(logical), fromMicros(created), fromMicros(started), fromMicros(ended)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// queryTasks runs a query that selects taskColumns and scans its rows.
func queryTasks(ctx context.Context, c conn, query string, args ...any) ([]TaskInstance, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tasks []TaskInstance
	for rows.Next() {
		var (
			t                                                  TaskInstance
			lease, notBefore, deadline, queued, started, ended int64
			cpu, wall                                          int64
		)
		err := rows.Scan(&t.RunID, &t.Task, &t.Pipeline, &t.Position, &t.State, &t.Attempt, &t.FirstAttempt, &t.Lost, &t.Agent,
			&lease, &notBefore, &deadline, &queued, &started, &ended,
			&t.RowsIn, &t.RowsOut, &t.Bytes, &cpu, &wall, &t.PeakMemory, &t.Error, &t.ErrorClass)
		if err != nil {
			return nil, err
		}
		t.LeaseUntil, t.NotBefore, t.Deadline = fromMicros(lease), fromMicros(notBefore), fromMicros(deadline)
		t.Queued, t.Started, t.Ended = fromMicros(queued), fromMicros(started), fromMicros(ended)
		t.CPU, t.Wall = time.Duration(cpu)*time.Microsecond, time.Duration(wall)*time.Microsecond
		tasks = append(tasks, t)
	}
	return tasks, rows.Err()
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// arg appends v to the arguments and returns its placeholder number.
func (w *where) arg(v any) int {
	w.args = append(w.args, v)
	return len(w.args)
}

// add appends a condition whose one %d is replaced by v's placeholder number.
func (w *where) add(cond string, v any) {
	w.conds = append(w.conds, fmt.Sprintf(cond, w.arg(v)))
}

// in appends "column IN (...)" for a non-empty list of values.
func in[S ~string](w *where, column string, values []S) {
	if len(values) == 0 {
		return
	}
	marks := make([]string, len(values))
	for i, v := range values {
		marks[i] = fmt.Sprintf("$%d", w.arg(string(v)))
	}
	w.conds = append(w.conds, column+" IN ("+strings.Join(marks, ", ")+")")
}

// String returns the clause with a leading space, or nothing.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns n, or the default list limit if n is not positive.
func limit(n int) int {
	if n <= 0 {
		return defaultListLimit
	}
	return n
}

// prefixed qualifies every column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
