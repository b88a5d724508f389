package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/config"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// ETL is what the pipeline API needs from the runtime.
type ETL struct {
	Controller *etl.Controller
	Store      *state.Store
	Fleet      *spec.Fleet
	// Pool is the in-process agent pool; nil when all agents are remote.
	Pool *agent.Pool
}

// ETLRoutes returns the pipeline runtime's API: reads for viewers, control
// actions (each recorded with the caller's token name and the reason given)
// for operators, and the agent protocol for remote agents.
//
//	GET  /api/v1/pipelines                       pipelines with their state
//	POST /api/v1/pipelines/{name}/trigger        {"logical_time"?, "reason"}
//	POST /api/v1/pipelines/{name}/pause|resume   {"reason"}
//	POST /api/v1/pipelines/{name}/degrade        {"degraded": bool, "reason"}
//	GET  /api/v1/runs?pipeline=&state=&limit=    runs, newest first
//	GET  /api/v1/runs/{pipeline}/{logical}       a run with its tasks
//	GET  /api/v1/runs/{pipeline}/{logical}/logs?task=&attempt=
//	POST /api/v1/runs/{pipeline}/{logical}/retry|cancel  {"reason"}
//	POST /api/v1/circuits/{endpoint}/open|close  {"reason"}
//	POST /api/v1/agent-pool                      {"size"?, "slots"?, "reason"}
//	GET  /api/v1/controls?target=&limit=         the control actions, newest last
func ETLRoutes(e ETL, maxBody int64) []Route {
	h := &etlAPI{ETL: e}
	read := func(pattern, name string, f http.HandlerFunc) Route {
		return Route{Pattern: pattern, Name: name, Role: config.RoleViewer, Handler: f}
	}
	write := func(pattern, name string, f http.HandlerFunc) Route {
		return Route{Pattern: pattern, Name: name, Role: config.RoleOperator, Handler: f}
	}
	reads := []Route{
		read("GET /api/v1/pipelines", "pipelines", h.pipelines),
		read("GET /api/v1/runs", "runs", h.runs),
		read("GET /api/v1/runs/{pipeline}/{logical}", "run", h.run),
		read("GET /api/v1/runs/{pipeline}/{logical}/logs", "run_logs", h.logs),
		read("GET /api/v1/controls", "controls", h.controls),
	}
	if e.Controller == nil {
		// No pipelines of its own: the history of OpenLineage jobs only.
		return reads
	}
	return append(reads,
		write("POST /api/v1/pipelines/{name}/trigger", "pipeline_trigger", h.trigger),
		write("POST /api/v1/pipelines/{name}/pause", "pipeline_pause", h.pause),
		write("POST /api/v1/pipelines/{name}/resume", "pipeline_resume", h.resume),
		write("POST /api/v1/pipelines/{name}/degrade", "pipeline_degrade", h.degrade),
		write("POST /api/v1/runs/{pipeline}/{logical}/retry", "run_retry", h.retry),
		write("POST /api/v1/runs/{pipeline}/{logical}/cancel", "run_cancel", h.cancel),
		write("POST /api/v1/circuits/{endpoint}/open", "circuit_open", h.openCircuit),
		write("POST /api/v1/circuits/{endpoint}/close", "circuit_close", h.closeCircuit),
		write("POST /api/v1/agent-pool", "agent_pool", h.agentPool),
		Route{Pattern: "/api/v1/agents/", Name: "agent_protocol", Role: config.RoleOperator, Handler: agent.Handler(e.Controller, maxBody)},
	)
}

type etlAPI struct{ ETL }

// request is the body of every control action.
type request struct {
	Reason      string    `json:"reason"`
	LogicalTime time.Time `json:"logical_time"`
	Degraded    *bool     `json:"degraded"`
	Size        *int      `json:"size"`
	Slots       *int      `json:"slots"`
}

func decodeRequest(w http.ResponseWriter, r *http.Request) (request, bool) {
	var req request
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "decode request body: "+err.Error())
		return req, false
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeError(w, http.StatusBadRequest, `"reason" is required: every control action is recorded with who and why`)
		return req, false
	}
	return req, true
}

func actor(r *http.Request, req request) etl.Actor {
	return etl.Actor{Who: Caller(r.Context()), Why: req.Reason}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"status": "error", "error": msg})
}

// controlError answers a failed control action with the status its cause
// deserves.
func controlError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, etl.ErrUnknownPipeline), errors.Is(err, etl.ErrUnknownRun), errors.Is(err, state.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, etl.ErrRunExists), errors.Is(err, etl.ErrRunActive), errors.Is(err, etl.ErrRunEnded):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, etl.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func runID(r *http.Request) string { return r.PathValue("pipeline") + "/" + r.PathValue("logical") }

type pipelineView struct {
	Name        string   `json:"name"`
	Source      string   `json:"source"` // vigil or openlineage
	Owner       string   `json:"owner"`
	Team        string   `json:"team"`
	Schedule    string   `json:"schedule"`
	Tasks       []string `json:"tasks"`
	Paused      bool     `json:"paused"`
	Degraded    bool     `json:"degraded"`
	LastRun     string   `json:"last_run,omitempty"`
	Depth       int      `json:"lineage_depth"`
	Description string   `json:"description,omitempty"`
}

func (h *etlAPI) pipelines(w http.ResponseWriter, r *http.Request) {
	statesList, err := h.Store.ETL().Pipelines(r.Context())
	if err != nil {
		controlError(w, err)
		return
	}
	states, byName := map[string]state.PipelineState{}, map[string]bool{}
	for _, s := range statesList {
		states[s.Pipeline], byName[s.Pipeline] = s, true
	}
	out := []pipelineView{}
	var pipelines []*spec.Pipeline
	var g *spec.Graph
	if h.Fleet != nil {
		pipelines, g = h.Fleet.Pipelines(), h.Fleet.Graph()
	}
	for _, p := range pipelines {
		delete(byName, p.Name)
		v := pipelineView{Name: p.Name, Source: "vigil", Owner: p.Owner, Team: p.Team, Schedule: p.Schedule.String(), Description: p.Description,
			Depth: g.Depth(p.Name)}
		for _, t := range p.Tasks {
			v.Tasks = append(v.Tasks, t.Name)
		}
		if s, ok := states[p.Name]; ok {
			v.Paused, v.Degraded = s.Paused, s.Degraded
			if !s.LastRun.IsZero() {
				v.LastRun = s.LastRun.Format(time.RFC3339)
			}
		}
		out = append(out, v)
	}
	// Pipelines known only from OpenLineage events.
	for _, s := range statesList {
		if !byName[s.Pipeline] || !strings.HasPrefix(s.Pipeline, "ol:") {
			continue
		}
		v := pipelineView{Name: s.Pipeline, Source: "openlineage", Schedule: "external", Tasks: []string{}}
		if !s.LastRun.IsZero() {
			v.LastRun = s.LastRun.Format(time.RFC3339)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *etlAPI) trigger(w http.ResponseWriter, r *http.Request) {
	req, ok := decodeRequest(w, r)
	if !ok {
		return
	}
	id, err := h.Controller.Trigger(r.Context(), actor(r, req), r.PathValue("name"), req.LogicalTime)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"run_id": id})
}

func (h *etlAPI) pause(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, r.PathValue("name"), h.Controller.Pause)
}

func (h *etlAPI) resume(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, r.PathValue("name"), h.Controller.Resume)
}

// act runs a control action on target with the caller and the reason as
// its actor, answering 204 or the error's status.
func (h *etlAPI) act(w http.ResponseWriter, r *http.Request, target string, f func(context.Context, etl.Actor, string) error) {
	req, ok := decodeRequest(w, r)
	if !ok {
		return
	}
	if err := f(r.Context(), actor(r, req), target); err != nil {
		controlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *etlAPI) degrade(w http.ResponseWriter, r *http.Request) {
	req, ok := decodeRequest(w, r)
	if !ok {
		return
	}
	if req.Degraded == nil {
		writeError(w, http.StatusBadRequest, `"degraded" (true or false) is required`)
		return
	}
	if err := h.Controller.SetDegraded(r.Context(), actor(r, req), r.PathValue("name"), *req.Degraded); err != nil {
		controlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *etlAPI) runs(w http.ResponseWriter, r *http.Request) {
	f := state.RunFilter{Pipeline: r.FormValue("pipeline")}
	if s := r.FormValue("state"); s != "" {
		f.States = []state.RunState{state.RunState(s)}
	}
	if l := r.FormValue("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		f.Limit = n
	}
	runs, err := h.Store.ETL().ListRuns(r.Context(), f)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(runs))
}

func (h *etlAPI) run(w http.ResponseWriter, r *http.Request) {
	id := runID(r)
	run, err := h.Store.ETL().Run(r.Context(), id)
	if err != nil {
		controlError(w, err)
		return
	}
	tasks, err := h.Store.ETL().ListTasks(r.Context(), state.TaskFilter{RunID: id, Limit: 1000})
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run, "tasks": nonNil(tasks)})
}

func (h *etlAPI) logs(w http.ResponseWriter, r *http.Request) {
	attempt := 0
	if a := r.FormValue("attempt"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "attempt must be a positive number")
			return
		}
		attempt = n
	}
	task := r.FormValue("task")
	if task == "" {
		writeError(w, http.StatusBadRequest, "task is required")
		return
	}
	lines, err := h.Store.ETL().Logs(r.Context(), runID(r), task, attempt, 10000)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(lines))
}

func (h *etlAPI) retry(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, runID(r), h.Controller.RetryRun)
}

func (h *etlAPI) cancel(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, runID(r), h.Controller.CancelRun)
}

func (h *etlAPI) openCircuit(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, r.PathValue("endpoint"), h.Controller.OpenCircuit)
}

func (h *etlAPI) closeCircuit(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, r.PathValue("endpoint"), h.Controller.CloseCircuit)
}

// agentPool resizes the in-process pool. The change is recorded as a
// control action like every other.
func (h *etlAPI) agentPool(w http.ResponseWriter, r *http.Request) {
	req, ok := decodeRequest(w, r)
	if !ok {
		return
	}
	if h.Pool == nil {
		writeError(w, http.StatusConflict, "this Vigil runs no in-process agents (etl.agents is 0)")
		return
	}
	if req.Size == nil && req.Slots == nil {
		writeError(w, http.StatusBadRequest, `give "size", "slots" or both`)
		return
	}
	params := map[string]any{}
	if req.Size != nil {
		if err := h.Pool.SetSize(*req.Size); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		params["size"] = *req.Size
	}
	if req.Slots != nil {
		if err := h.Pool.SetSlots(*req.Slots); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		params["slots"] = *req.Slots
	}
	b, _ := json.Marshal(params)
	if _, err := h.Store.ETL().RecordControl(r.Context(), state.Control{
		At: time.Now(), Actor: Caller(r.Context()), Action: "agent_pool", Target: "agents", Reason: req.Reason, Params: string(b),
	}); err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"size": h.Pool.Size()})
}

func (h *etlAPI) controls(w http.ResponseWriter, r *http.Request) {
	f := state.ControlFilter{Target: r.FormValue("target"), Limit: 1000}
	cs, err := h.Store.ETL().Controls(r.Context(), f)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(cs))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
