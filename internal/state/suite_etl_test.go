package state

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testRun returns a run of pipeline at t0 plus offset, in state st.
func testRun(pipeline string, offset time.Duration, st RunState) Run {
	logical := t0.Add(offset)
	return Run{
		ID:          pipeline + "/" + logical.Format(time.RFC3339),
		Pipeline:    pipeline,
		LogicalTime: logical,
		Trigger:     "schedule",
		State:       st,
		Created:     logical.Add(time.Second),
	}
}

// testTask returns a fully populated task instance of run.
func testTask(run Run, name string, position int, st TaskState) TaskInstance {
	return TaskInstance{
		RunID: run.ID, Task: name, Pipeline: run.Pipeline, Position: position, State: st,
		Attempt: 2, FirstAttempt: 1, Lost: 1, Agent: "agent-1",
		LeaseUntil: t0.Add(time.Minute), NotBefore: t0.Add(2 * time.Second), Deadline: t0.Add(time.Hour),
		Queued: t0.Add(time.Second), Started: t0.Add(3 * time.Second), Ended: t0.Add(time.Minute),
		Usage: Usage{RowsIn: 10, RowsOut: 9, Bytes: 1 << 20, CPU: 1500 * time.Millisecond, Wall: 2 * time.Second, PeakMemory: 64 << 20},
		Error: "boom", ErrorClass: "timeout",
	}
}

func testETLRuns(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	const p = "runs_p"
	r0 := testRun(p, 0, RunSuccess)
	r1 := testRun(p, time.Hour, RunRunning)
	r2 := testRun(p, 2*time.Hour, RunQueued)
	other := testRun("runs_other", time.Hour, RunFailed)
	for _, r := range []Run{r0, r1, r2, other} {
		created, err := e.CreateRun(ctx, r)
		if err != nil || !created {
			t.Fatalf("CreateRun(%s) = %v, %v; want created", r.ID, created, err)
		}
	}
	// Creating a run again is a no-op, even with other values.
	again := r1
	again.State, again.Trigger = RunFailed, "manual"
	if created, err := e.CreateRun(ctx, again); err != nil || created {
		t.Fatalf("CreateRun of an existing ID = %v, %v; want not created", created, err)
	}
	if got, err := e.Run(ctx, r1.ID); err != nil || !reflect.DeepEqual(got, r1) {
		t.Fatalf("Run(%s) = %+v, %v; want %+v", r1.ID, got, err, r1)
	}

	// SaveRuns updates.
	r1.State, r1.Started, r1.Ended, r1.Error = RunFailed, t0.Add(61*time.Minute), t0.Add(70*time.Minute), "task x failed"
	if err := e.SaveRuns(ctx, r1); err != nil {
		t.Fatalf("SaveRuns: %v", err)
	}
	if got, err := e.Run(ctx, r1.ID); err != nil || !reflect.DeepEqual(got, r1) {
		t.Fatalf("Run after SaveRuns = %+v, %v; want %+v", got, err, r1)
	}
	if _, err := e.Run(ctx, p+"/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Run of an absent ID: err = %v, want ErrNotFound", err)
	}

	ids := func(runs []Run) string {
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		f    RunFilter
		want []Run
	}{
		{RunFilter{Pipeline: p}, []Run{r2, r1, r0}},
		{RunFilter{Pipeline: p, Limit: 2}, []Run{r2, r1}},
		{RunFilter{Pipeline: p, States: []RunState{RunSuccess, RunFailed}}, []Run{r1, r0}},
		{RunFilter{Pipeline: p, Since: t0.Add(time.Hour)}, []Run{r2, r1}},
		{RunFilter{Pipeline: p, Until: t0.Add(time.Hour)}, []Run{r0}},
		{RunFilter{States: []RunState{RunFailed}, Since: t0, Until: t0.Add(2 * time.Hour)}, []Run{r1, other}},
	} {
		got, err := e.ListRuns(ctx, tc.f)
		if err != nil {
			t.Fatalf("ListRuns(%+v): %v", tc.f, err)
		}
		if ids(got) != ids(tc.want) {
			t.Errorf("ListRuns(%+v) = %s, want %s", tc.f, ids(got), ids(tc.want))
		}
	}

	if _, err := e.ListRuns(ctx, RunFilter{States: []RunState{"bogus"}}); !errors.Is(err, errInvalid) {
		t.Errorf("ListRuns with an unknown state: err = %v, want an invalid-argument error", err)
	}
	bad := testRun(p, 3*time.Hour, "bogus")
	if err := e.SaveRuns(ctx, bad); !errors.Is(err, errInvalid) {
		t.Errorf("SaveRuns with an unknown state: err = %v, want an invalid-argument error", err)
	}
	if _, err := e.CreateRun(ctx, Run{ID: "x"}); !errors.Is(err, errInvalid) {
		t.Errorf("CreateRun of an incomplete run: err = %v, want an invalid-argument error", err)
	}
}

func testETLTasks(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	const p = "tasks_p"
	done := testRun(p, 0, RunSuccess)
	active := testRun(p, time.Hour, RunRunning)
	if err := e.SaveRuns(ctx, done, active); err != nil {
		t.Fatal(err)
	}
	doneTasks := []TaskInstance{testTask(done, "extract", 0, TaskSuccess), testTask(done, "load", 1, TaskSuccess)}
	activeTasks := []TaskInstance{
		testTask(active, "load", 1, TaskPending),
		testTask(active, "extract", 0, TaskRunning),
	}
	if err := e.SaveTasks(ctx, append(doneTasks, activeTasks...)...); err != nil {
		t.Fatalf("SaveTasks: %v", err)
	}
	got, err := e.ListTasks(ctx, TaskFilter{RunID: active.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []TaskInstance{activeTasks[1], activeTasks[0]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ListTasks of a run =\n%+v\nwant, in position order,\n%+v", got, want)
	}

	// An update replaces every field.
	activeTasks[1].State, activeTasks[1].Attempt, activeTasks[1].Error = TaskSuccess, 3, ""
	activeTasks[1].Usage = Usage{RowsIn: 1, RowsOut: 2, Bytes: 3, CPU: time.Millisecond, Wall: time.Second, PeakMemory: 4}
	if err := e.SaveTasks(ctx, activeTasks[1]); err != nil {
		t.Fatal(err)
	}
	history, err := e.ListTasks(ctx, TaskFilter{Pipeline: p, Task: "extract"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []TaskInstance{activeTasks[1], doneTasks[0]}; !reflect.DeepEqual(history, want) {
		t.Fatalf("ListTasks of a task's history =\n%+v\nwant, newest run first,\n%+v", history, want)
	}
	pending, err := e.ListTasks(ctx, TaskFilter{Pipeline: p, States: []TaskState{TaskPending}, Limit: 5})
	if err != nil || len(pending) != 1 || pending[0].Task != "load" || pending[0].RunID != active.ID {
		t.Fatalf("ListTasks of pending tasks = %+v, %v", pending, err)
	}

	runs, tasks, err := e.Active(ctx)
	if err != nil {
		t.Fatalf("Active: %v", err)
	}
	var gotRuns []string
	for _, r := range runs {
		if r.Pipeline == p {
			gotRuns = append(gotRuns, r.ID)
		}
	}
	var gotTasks []string
	for _, ti := range tasks {
		if ti.Pipeline == p {
			gotTasks = append(gotTasks, ti.RunID+"/"+ti.Task)
		}
	}
	if fmt.Sprint(gotRuns) != fmt.Sprint([]string{active.ID}) ||
		fmt.Sprint(gotTasks) != fmt.Sprint([]string{active.ID + "/extract", active.ID + "/load"}) {
		t.Fatalf("Active = runs %v, tasks %v; want only the running run and its tasks in position order", gotRuns, gotTasks)
	}

	// A task of a run that does not exist is refused by the foreign key.
	orphan := testTask(testRun(p, 5*time.Hour, RunQueued), "x", 0, TaskPending)
	if err := e.SaveTasks(ctx, orphan); err == nil {
		t.Fatal("SaveTasks of a task without its run succeeded")
	}
	if err := e.SaveTasks(ctx, TaskInstance{RunID: active.ID, Task: "x", Pipeline: p, State: "bogus"}); !errors.Is(err, errInvalid) {
		t.Fatalf("SaveTasks with an unknown state: err = %v, want an invalid-argument error", err)
	}
}

func testETLLastSuccesses(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	const p = "last_p"
	r0 := testRun(p, 0, RunSuccess)
	r0.Ended = t0.Add(10 * time.Minute)
	r1 := testRun(p, time.Hour, RunSuccess)
	r1.Ended = t0.Add(70 * time.Minute)
	r2 := testRun(p, 2*time.Hour, RunFailed)
	r2.Ended = t0.Add(130 * time.Minute)
	if err := e.SaveRuns(ctx, r0, r1, r2); err != nil {
		t.Fatal(err)
	}
	a0 := testTask(r0, "a", 0, TaskSuccess)
	a0.Ended = t0.Add(5 * time.Minute)
	a2 := testTask(r2, "a", 0, TaskSuccess)
	a2.Ended = t0.Add(125 * time.Minute)
	b2 := testTask(r2, "b", 1, TaskFailed)
	if err := e.SaveTasks(ctx, a0, a2, b2); err != nil {
		t.Fatal(err)
	}
	all, err := e.LastSuccesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []LastSuccess
	for _, ls := range all {
		if ls.Pipeline == p {
			got = append(got, ls)
		}
	}
	want := []LastSuccess{
		{Pipeline: p, Ended: r1.Ended, LogicalTime: r1.LogicalTime},
		{Pipeline: p, Task: "a", Ended: a2.Ended, LogicalTime: r2.LogicalTime},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LastSuccesses =\n%+v\nwant\n%+v", got, want)
	}
}

func testETLAttemptsLogs(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	run := testRun("attempts_p", 0, RunRunning)
	ti := testTask(run, "extract", 0, TaskRunning)
	if err := e.SaveRuns(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := e.SaveTasks(ctx, ti); err != nil {
		t.Fatal(err)
	}
	a1 := Attempt{RunID: run.ID, Task: ti.Task, Attempt: 1, Agent: "a", State: AttemptRunning, Started: t0}
	a2 := Attempt{RunID: run.ID, Task: ti.Task, Attempt: 2, Agent: "b", State: AttemptRunning, Started: t0.Add(time.Minute)}
	if err := e.SaveAttempts(ctx, a2, a1); err != nil {
		t.Fatalf("SaveAttempts: %v", err)
	}
	a1.State, a1.Ended, a1.Error, a1.ErrorClass = AttemptLost, t0.Add(50*time.Second), "lease lapsed", "lost"
	a2.State, a2.Ended = AttemptSuccess, t0.Add(2*time.Minute)
	a2.Usage = Usage{RowsIn: 5, RowsOut: 5, Bytes: 100, CPU: time.Second, Wall: time.Minute, PeakMemory: 1 << 20}
	if err := e.SaveAttempts(ctx, a1, a2); err != nil {
		t.Fatal(err)
	}
	got, err := e.Attempts(ctx, run.ID, ti.Task)
	if err != nil || !reflect.DeepEqual(got, []Attempt{a1, a2}) {
		t.Fatalf("Attempts = %+v, %v; want %+v", got, err, []Attempt{a1, a2})
	}
	if err := e.SaveAttempts(ctx, Attempt{RunID: run.ID, Task: ti.Task, Attempt: 0, State: AttemptRunning, Started: t0}); !errors.Is(err, errInvalid) {
		t.Fatalf("SaveAttempts of attempt 0: err = %v, want an invalid-argument error", err)
	}

	var lines []LogLine
	for attempt := 1; attempt <= 2; attempt++ {
		for seq := range 3 {
			lines = append(lines, LogLine{RunID: run.ID, Task: ti.Task, Attempt: attempt, Seq: seq,
				At: t0.Add(time.Duration(seq) * time.Second), Level: "info", Line: fmt.Sprintf("line %d.%d", attempt, seq)})
		}
	}
	if err := e.AppendLogs(ctx, lines...); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	// Appending a line again keeps the first version.
	dup := lines[0]
	dup.Line = "changed"
	if err := e.AppendLogs(ctx, dup); err != nil {
		t.Fatalf("AppendLogs of a stored line: %v", err)
	}
	all, err := e.Logs(ctx, run.ID, ti.Task, 0, 0)
	if err != nil || !reflect.DeepEqual(all, lines) {
		t.Fatalf("Logs of all attempts = %+v, %v; want %+v", all, err, lines)
	}
	second, err := e.Logs(ctx, run.ID, ti.Task, 2, 2)
	if err != nil || !reflect.DeepEqual(second, lines[3:5]) {
		t.Fatalf("Logs of attempt 2, limit 2 = %+v, %v; want %+v", second, err, lines[3:5])
	}
}

func testETLControls(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	const target = "controls_p"
	c1 := Control{At: t0, Actor: "alice", Action: "pause", Target: target, Reason: "maintenance"}
	c2 := Control{At: t0.Add(time.Minute), Actor: "remediate", Action: "trigger", Target: target, Params: `{"logical_time":"2030-01-02T03:00:00Z"}`}
	c3 := Control{At: t0.Add(2 * time.Minute), Actor: "bob", Action: "pause", Target: "controls_other", Reason: "x"}
	var ids []int64
	for _, c := range []Control{c1, c2, c3} {
		id, err := e.RecordControl(ctx, c)
		if err != nil {
			t.Fatalf("RecordControl: %v", err)
		}
		ids = append(ids, id)
	}
	if ids[0] >= ids[1] || ids[1] >= ids[2] {
		t.Fatalf("control IDs %v are not increasing", ids)
	}
	c1.ID, c1.Params = ids[0], "{}"
	c2.ID = ids[1]
	got, err := e.Controls(ctx, ControlFilter{Target: target})
	if err != nil || !reflect.DeepEqual(got, []Control{c1, c2}) {
		t.Fatalf("Controls(target) = %+v, %v; want %+v", got, err, []Control{c1, c2})
	}
	got, err = e.Controls(ctx, ControlFilter{Action: "pause", AfterID: ids[0]})
	if err != nil || len(got) != 1 || got[0].ID != ids[2] {
		t.Fatalf("Controls(pause after the first) = %+v, %v; want the third", got, err)
	}
	if _, err := e.RecordControl(ctx, Control{Action: "pause", Target: target, At: t0}); !errors.Is(err, errInvalid) {
		t.Fatalf("RecordControl without an actor: err = %v, want an invalid-argument error", err)
	}
}

func testETLPipelinesCircuitsAgents(t *testing.T, s *Store) {
	ctx := t.Context()
	e := s.ETL()
	p1 := PipelineState{Pipeline: "pca_a", Paused: true, NextSlot: t0, LastRun: t0.Add(-time.Hour), Updated: t0}
	p2 := PipelineState{Pipeline: "pca_b", Degraded: true, Updated: t0}
	if err := e.SavePipelines(ctx, p1, p2); err != nil {
		t.Fatalf("SavePipelines: %v", err)
	}
	p1.Paused, p1.NextSlot = false, t0.Add(time.Hour)
	if err := e.SavePipelines(ctx, p1); err != nil {
		t.Fatal(err)
	}
	ps, err := e.Pipelines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gotP []PipelineState
	for _, p := range ps {
		if strings.HasPrefix(p.Pipeline, "pca_") {
			gotP = append(gotP, p)
		}
	}
	if !reflect.DeepEqual(gotP, []PipelineState{p1, p2}) {
		t.Fatalf("Pipelines = %+v, want %+v", gotP, []PipelineState{p1, p2})
	}

	c := Circuit{Endpoint: "pca://api.example.org", Open: true, Actor: "alice", Reason: "5xx storm", Updated: t0}
	if err := e.SaveCircuit(ctx, c); err != nil {
		t.Fatalf("SaveCircuit: %v", err)
	}
	c.Open, c.Actor, c.Reason, c.Updated = false, "bob", "fixed", t0.Add(time.Hour)
	if err := e.SaveCircuit(ctx, c); err != nil {
		t.Fatal(err)
	}
	cs, err := e.Circuits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, got := range cs {
		if got.Endpoint == c.Endpoint {
			found = true
			if !reflect.DeepEqual(got, c) {
				t.Errorf("circuit = %+v, want %+v", got, c)
			}
		}
	}
	if !found {
		t.Errorf("Circuits = %+v, want %s among them", cs, c.Endpoint)
	}

	a := Agent{ID: "pca-agent", Slots: 4, CPU: 2.5, Memory: 8 << 30, State: AgentAlive, Registered: t0, LastHeartbeat: t0}
	if err := e.SaveAgents(ctx, a); err != nil {
		t.Fatalf("SaveAgents: %v", err)
	}
	a.State, a.LastHeartbeat = AgentDead, t0.Add(time.Minute)
	if err := e.SaveAgents(ctx, a); err != nil {
		t.Fatal(err)
	}
	agents, err := e.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, got := range agents {
		if got.ID == a.ID {
			found = true
			if !reflect.DeepEqual(got, a) {
				t.Errorf("agent = %+v, want %+v", got, a)
			}
		}
	}
	if !found {
		t.Errorf("Agents = %+v, want %s among them", agents, a.ID)
	}
	if err := e.SaveAgents(ctx, Agent{ID: "x", Registered: t0, State: "zombie"}); !errors.Is(err, errInvalid) {
		t.Errorf("SaveAgents with an unknown state: err = %v, want an invalid-argument error", err)
	}
}

// testETLInTx checks that the repository joins the caller's transaction.
func testETLInTx(t *testing.T, s *Store) {
	ctx := t.Context()
	errAbort := errors.New("abort")
	run := testRun("etl_tx_p", 0, RunQueued)
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.ETL().SaveRuns(ctx, run); err != nil {
			return err
		}
		if err := tx.ETL().SaveTasks(ctx, testTask(run, "a", 0, TaskPending), testTask(run, "b", 1, TaskPending)); err != nil {
			return err
		}
		if got, err := tx.ETL().ListTasks(ctx, TaskFilter{RunID: run.ID}); err != nil || len(got) != 2 {
			t.Errorf("ListTasks inside the transaction = %d tasks, %v; want its own 2", len(got), err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if _, err := s.ETL().Run(ctx, run.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("run saved in a rolled-back transaction: err = %v, want ErrNotFound", err)
	}
	if got, err := s.ETL().ListTasks(ctx, TaskFilter{RunID: run.ID}); err != nil || len(got) != 0 {
		t.Fatalf("tasks after rollback = %+v, %v; want none", got, err)
	}
}
