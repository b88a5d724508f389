package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The agent protocol over HTTP: three JSON calls under
// /api/v1/agents/{id}/, one per Controller method. A refusal for good
// (ErrRejected) travels as 409 Conflict; anything else an agent may retry.
const (
	pathClaim     = "/claim"
	pathHeartbeat = "/heartbeat"
	pathReport    = "/report"
	agentsPrefix  = "/api/v1/agents/"
)

type claimRequest struct {
	Free Capacity `json:"free"`
}

type claimResponse struct {
	Assignments []Assignment `json:"assignments"`
}

type heartbeatRequest struct {
	Total   Capacity     `json:"total"`
	Running []AttemptRef `json:"running"`
}

type heartbeatResponse struct {
	Abandon []AttemptRef `json:"abandon"`
}

type reportRequest struct {
	Attempt AttemptRef `json:"attempt"`
	Result  Result     `json:"result"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// RemoteController is the Controller seen from a `vigil agent` process on
// another machine: each call is one HTTP request to the controller's API,
// authenticated with a bearer token of the operator role.
type RemoteController struct {
	base   string
	token  string
	client *http.Client
}

var _ Controller = (*RemoteController)(nil)

// NewRemoteController returns a client of the controller at baseURL
// (e.g. http://vigil.example.org:9750). A nil client gets one with a
// 30-second timeout.
func NewRemoteController(baseURL, token string, client *http.Client) (*RemoteController, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("controller URL %q: want http(s)://host:port", baseURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &RemoteController{base: strings.TrimRight(baseURL, "/"), token: token, client: client}, nil
}

// Claim implements Controller.
func (c *RemoteController) Claim(ctx context.Context, agentID string, free Capacity) ([]Assignment, error) {
	var resp claimResponse
	if err := c.call(ctx, agentID, pathClaim, claimRequest{Free: free}, &resp); err != nil {
		return nil, err
	}
	return resp.Assignments, nil
}

// Heartbeat implements Controller.
func (c *RemoteController) Heartbeat(ctx context.Context, agentID string, total Capacity, running []AttemptRef) ([]AttemptRef, error) {
	var resp heartbeatResponse
	if err := c.call(ctx, agentID, pathHeartbeat, heartbeatRequest{Total: total, Running: running}, &resp); err != nil {
		return nil, err
	}
	return resp.Abandon, nil
}

// Report implements Controller.
func (c *RemoteController) Report(ctx context.Context, agentID string, ref AttemptRef, r Result) error {
	return c.call(ctx, agentID, pathReport, reportRequest{Attempt: ref, Result: r}, nil)
}

func (c *RemoteController) call(ctx context.Context, agentID, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+agentsPrefix+url.PathEscape(agentID)+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("agent %s%s: %w", agentID, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("agent %s%s: read answer: %w", agentID, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusConflict:
		return fmt.Errorf("agent %s%s: %w: %s", agentID, path, ErrRejected, errorText(b))
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("agent %s%s: controller answered %s: %s", agentID, path, resp.Status, errorText(b))
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("agent %s%s: decode answer: %w", agentID, path, err)
	}
	return nil
}

func errorText(b []byte) string {
	var e errorResponse
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(b))
}

// Handler serves the agent protocol for a Controller under
// /api/v1/agents/{id}/(claim|heartbeat|report). Authentication is the
// router's business; bodies are limited to maxBody bytes.
func Handler(c Controller, maxBody int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+agentsPrefix+"{id}"+pathClaim, func(w http.ResponseWriter, r *http.Request) {
		var in claimRequest
		if !decode(w, r, maxBody, &in) {
			return
		}
		as, err := c.Claim(r.Context(), r.PathValue("id"), in.Free)
		respond(w, claimResponse{Assignments: nonNil(as)}, err)
	})
	mux.HandleFunc("POST "+agentsPrefix+"{id}"+pathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		var in heartbeatRequest
		if !decode(w, r, maxBody, &in) {
			return
		}
		abandon, err := c.Heartbeat(r.Context(), r.PathValue("id"), in.Total, in.Running)
		respond(w, heartbeatResponse{Abandon: nonNil(abandon)}, err)
	})
	mux.HandleFunc("POST "+agentsPrefix+"{id}"+pathReport, func(w http.ResponseWriter, r *http.Request) {
		var in reportRequest
		if !decode(w, r, maxBody, &in) {
			return
		}
		err := c.Report(r.Context(), r.PathValue("id"), in.Attempt, in.Result)
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		respond(w, nil, err)
	})
	return mux
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func decode(w http.ResponseWriter, r *http.Request, maxBody int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		code := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			code = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, code, errorResponse{Error: "decode request: " + err.Error()})
		return false
	}
	return true
}

func respond(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, ErrRejected):
		writeJSON(w, http.StatusConflict, errorResponse{Error: err.Error()})
	case errors.Is(err, context.Canceled):
		writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: err.Error()})
	default:
		writeJSON(w, http.StatusInternalServerError, errorResponse{Error: err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
