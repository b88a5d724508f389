package state

import (
	"context"
	"fmt"
	"slices"
)

// ControlFilter selects the control actions Controls returns, in ascending
// ID order.
type ControlFilter struct {
	// Target selects the actions on one pipeline, run or endpoint.
	Target string
	// Action selects one kind of action.
	Action string
	// AfterID selects actions with a greater ID, for paging.
	AfterID int64
	// Limit caps the number of actions; zero or less means 100.
	Limit int
}

// RecordControl appends a control action to the record and returns its ID.
func (e ETL) RecordControl(ctx context.Context, c Control) (id int64, err error) {
	if c.Actor == "" || c.Action == "" || c.Target == "" || c.At.IsZero() {
		return 0, fmt.Errorf("record control: %w: actor, action, target and time must be set", errInvalid)
	}
	if c.Params == "" {
		c.Params = "{}"
	}
	defer e.sc.store.observe(opETLControlRecord, &err)
	err = e.sc.conn().queryRow(ctx,
		`INSERT INTO etl_controls (at_us, actor, action, target, reason, params)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.At.UnixMicro(), c.Actor, c.Action, c.Target, c.Reason, c.Params).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record control %s on %s by %s: %w", c.Action, c.Target, c.Actor, err)
	}
	return id, nil
}

// Controls returns the control actions that match f, in ascending ID order.
func (e ETL) Controls(ctx context.Context, f ControlFilter) (_ []Control, err error) {
	defer e.sc.store.observe(opETLControlList, &err)
	var w where
	w.add("id > $%d", f.AfterID)
	if f.Target != "" {
		w.add("target = $%d", f.Target)
	}
	if f.Action != "" {
		w.add("action = $%d", f.Action)
	}
	query := `SELECT id, at_us, actor, action, target, reason, params FROM etl_controls` + w.String() +
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, w.arg(limit(f.Limit)))
	rows, err := e.sc.conn().query(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list controls: %w", err)
	}
	defer rows.Close()
	var out []Control
	for rows.Next() {
		var (
			c  Control
			at int64
		)
		if err := rows.Scan(&c.ID, &at, &c.Actor, &c.Action, &c.Target, &c.Reason, &c.Params); err != nil {
			return nil, fmt.Errorf("list controls: %w", err)
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list controls: %w", err)
	}
	return out, nil
}

// SavePipelines writes pipeline states, inserting or replacing them.
func (e ETL) SavePipelines(ctx context.Context, ps ...PipelineState) (err error) {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		if p.Pipeline == "" {
			return fmt.Errorf("save pipelines: %w: empty pipeline name", errInvalid)
		}
		rows[i] = []any{p.Pipeline, boolInt(p.Paused), boolInt(p.Degraded),
			toMicros(p.NextSlot), toMicros(p.LastRun), toMicros(p.Updated)}
	}
	defer e.sc.store.observe(opETLPipelineSave, &err)
	err = e.execEach(ctx, `INSERT INTO etl_pipelines (pipeline, paused, degraded, next_slot_us, last_run_us, updated_us)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (pipeline) DO UPDATE SET
			paused = excluded.paused, degraded = excluded.degraded, next_slot_us = excluded.next_slot_us,
			last_run_us = excluded.last_run_us, updated_us = excluded.updated_us`, rows)
	if err != nil {
		return fmt.Errorf("save %d pipelines: %w", len(ps), err)
	}
	return nil
}

// Pipelines returns every stored pipeline state, by name.
func (e ETL) Pipelines(ctx context.Context) (_ []PipelineState, err error) {
	defer e.sc.store.observe(opETLPipelineList, &err)
	rows, err := e.sc.conn().query(ctx,
		`SELECT pipeline, paused, degraded, next_slot_us, last_run_us, updated_us FROM etl_pipelines ORDER BY pipeline`)
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	defer rows.Close()
	var out []PipelineState
	for rows.Next() {
		var (
			p                       PipelineState
			paused, degraded        int
			nextSlot, last, updated int64
		)
		if err := rows.Scan(&p.Pipeline, &paused, &degraded, &nextSlot, &last, &updated); err != nil {
			return nil, fmt.Errorf("list pipelines: %w", err)
		}
		p.Paused, p.Degraded = paused == 1, degraded == 1
		p.NextSlot, p.LastRun, p.Updated = fromMicros(nextSlot), fromMicros(last), fromMicros(updated)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	return out, nil
}

// SaveCircuit writes the state of an endpoint's circuit.
func (e ETL) SaveCircuit(ctx context.Context, c Circuit) (err error) {
	if c.Endpoint == "" || c.Actor == "" || c.Updated.IsZero() {
		return fmt.Errorf("save circuit: %w: endpoint, actor and time must be set", errInvalid)
	}
	defer e.sc.store.observe(opETLCircuitSave, &err)
	_, err = e.sc.conn().exec(ctx, `INSERT INTO etl_circuits (endpoint, open, actor, reason, updated_us)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (endpoint) DO UPDATE SET
			open = excluded.open, actor = excluded.actor, reason = excluded.reason, updated_us = excluded.updated_us`,
		c.Endpoint, boolInt(c.Open), c.Actor, c.Reason, c.Updated.UnixMicro())
	if err != nil {
		return fmt.Errorf("save circuit %s: %w", c.Endpoint, err)
	}
	return nil
}

// Circuits returns every stored circuit, open or closed, by endpoint.
func (e ETL) Circuits(ctx context.Context) (_ []Circuit, err error) {
	defer e.sc.store.observe(opETLCircuitList, &err)
	rows, err := e.sc.conn().query(ctx, `SELECT endpoint, open, actor, reason, updated_us FROM etl_circuits ORDER BY endpoint`)
	if err != nil {
		return nil, fmt.Errorf("list circuits: %w", err)
	}
	defer rows.Close()
	var out []Circuit
	for rows.Next() {
		var (
			c       Circuit
			open    int
			updated int64
		)
		if err := rows.Scan(&c.Endpoint, &open, &c.Actor, &c.Reason, &updated); err != nil {
			return nil, fmt.Errorf("list circuits: %w", err)
		}
		c.Open, c.Updated = open == 1, fromMicros(updated)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list circuits: %w", err)
	}
	return out, nil
}

// SaveAgents writes agents, inserting or replacing them.
func (e ETL) SaveAgents(ctx context.Context, agents ...Agent) (err error) {
	rows := make([][]any, len(agents))
	for i, a := range agents {
		if a.ID == "" || a.Registered.IsZero() || !slices.Contains([]AgentState{AgentAlive, AgentDead}, a.State) {
			return fmt.Errorf("save agents: %w: agent %q needs an ID, a registration time and a known state, not %q", errInvalid, a.ID, a.State)
		}
		rows[i] = []any{a.ID, a.Slots, a.CPU, a.Memory, string(a.State), toMicros(a.Registered), toMicros(a.LastHeartbeat)}
	}
	defer e.sc.store.observe(opETLAgentSave, &err)
	err = e.execEach(ctx, `INSERT INTO etl_agents (id, slots, cpu, memory, state, registered_us, last_heartbeat_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET
			slots = excluded.slots, cpu = excluded.cpu, memory = excluded.memory, state = excluded.state,
			registered_us = excluded.registered_us, last_heartbeat_us = excluded.last_heartbeat_us`, rows)
	if err != nil {
		return fmt.Errorf("save %d agents: %w", len(agents), err)
	}
	return nil
}

// Agents returns every agent the controller has heard from, by ID.
func (e ETL) Agents(ctx context.Context) (_ []Agent, err error) {
	defer e.sc.store.observe(opETLAgentList, &err)
	rows, err := e.sc.conn().query(ctx,
		`SELECT id, slots, cpu, memory, state, registered_us, last_heartbeat_us FROM etl_agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		var (
			a                     Agent
			registered, heartbeat int64
		)
		if err := rows.Scan(&a.ID, &a.Slots, &a.CPU, &a.Memory, &a.State, &registered, &heartbeat); err != nil {
			return nil, fmt.Errorf("list agents: %w", err)
		}
		a.Registered, a.LastHeartbeat = fromMicros(registered), fromMicros(heartbeat)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return out, nil
}
