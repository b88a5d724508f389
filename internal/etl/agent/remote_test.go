package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// wireController is a Controller that answers with fixed values and keeps
// what it was sent, to test the HTTP protocol on its own. The real
// controller is tested over this protocol end to end in internal/app.
type wireController struct {
	assignments []Assignment
	abandon     []AttemptRef
	reportErr   error

	gotFree    Capacity
	gotRunning []AttemptRef
	gotResult  Result
	gotAgent   string
}

func (w *wireController) Claim(_ context.Context, id string, free Capacity) ([]Assignment, error) {
	w.gotAgent, w.gotFree = id, free
	return w.assignments, nil
}

func (w *wireController) Heartbeat(_ context.Context, id string, _ Capacity, running []AttemptRef) ([]AttemptRef, error) {
	w.gotAgent, w.gotRunning = id, running
	return w.abandon, nil
}

func (w *wireController) Report(_ context.Context, id string, _ AttemptRef, r Result) error {
	w.gotAgent, w.gotResult = id, r
	return w.reportErr
}

func TestRemoteProtocolRoundTrip(t *testing.T) {
	fleet, err := spec.LoadDir("../../../examples/pipelines")
	if err != nil {
		t.Fatal(err)
	}
	p := fleet.Pipelines()[0]
	asg := Assignment{
		AttemptRef:  AttemptRef{RunID: p.Name + "/2026-11-24T10:00:00Z", Task: p.Tasks[0].Name, Attempt: 2},
		Agent:       "a/1",
		Pipeline:    p.Name,
		LogicalTime: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Spec:        p.Tasks[0],
		Timeout:     5 * time.Minute,
		Started:     time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC),
		LeaseUntil:  time.Date(2026, 11, 24, 10, 0, 31, 0, time.UTC),
	}
	wc := &wireController{assignments: []Assignment{asg}, abandon: []AttemptRef{asg.AttemptRef}}
	srv := httptest.NewServer(Handler(wc, 1<<20))
	defer srv.Close()
	rc, err := NewRemoteController(srv.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	got, err := rc.Claim(ctx, "a/1", Capacity{Slots: 2, CPU: 1.5, Memory: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if wc.gotAgent != "a/1" || wc.gotFree != (Capacity{Slots: 2, CPU: 1.5, Memory: 1 << 30}) {
		t.Fatalf("controller got agent %q, free %+v", wc.gotAgent, wc.gotFree)
	}
	// Settings are free-form: YAML's ints arrive as JSON numbers, which the
	// connectors' settings decoder reads alike. Compare the encodings.
	if len(got) != 1 || string(mustJSON(t, got[0])) != string(mustJSON(t, asg)) {
		t.Fatalf("assignment changed on the wire:\n got  %s\n want %s", mustJSON(t, got), mustJSON(t, asg))
	}
	abandon, err := rc.Heartbeat(ctx, "a/1", Capacity{Slots: 2}, []AttemptRef{asg.AttemptRef})
	if err != nil || len(abandon) != 1 || abandon[0] != asg.AttemptRef || len(wc.gotRunning) != 1 {
		t.Fatalf("heartbeat: %v %v %v", abandon, wc.gotRunning, err)
	}
	res := Result{Usage: Usage{RowsIn: 10, RowsOut: 9, Bytes: 100, CPU: time.Second, Wall: 2 * time.Second, PeakMemory: 1 << 20},
		Error: "boom", Class: spec.ErrorClass("timeout"), RetryAfter: time.Minute,
		Logs: []LogLine{{At: time.Date(2026, 11, 24, 10, 0, 2, 0, time.UTC), Level: "info", Line: "read 10 rows"}}}
	if err := rc.Report(ctx, "a/1", asg.AttemptRef, res); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wc.gotResult, res) {
		t.Fatalf("result changed on the wire:\n got  %+v\n want %+v", wc.gotResult, res)
	}
	wc.reportErr = errors.Join(ErrRejected, errors.New("lease lost"))
	if err := rc.Report(ctx, "a/1", asg.AttemptRef, res); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "lease lost") {
		t.Fatalf("a refusal must arrive as ErrRejected with its reason: %v", err)
	}
	wc.reportErr = errors.New("database down")
	if err := rc.Report(ctx, "a/1", asg.AttemptRef, res); err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("a transient failure must not look like a refusal: %v", err)
	}
}

func TestRemoteProtocolBadRequests(t *testing.T) {
	srv := httptest.NewServer(Handler(&wireController{}, 64))
	defer srv.Close()
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/api/v1/agents/a/claim", `{"free": {"Slots": "many"}}`, 400},
		{"/api/v1/agents/a/claim", `{"unknown": 1}`, 400},
		{"/api/v1/agents/a/report", `{"attempt": {"RunID": "` + strings.Repeat("x", 100) + `"}}`, 413},
	} {
		resp, err := srv.Client().Post(srv.URL+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.path, c.body, resp.StatusCode, c.want)
		}
	}
	if _, err := NewRemoteController("ftp://x", "", nil); err == nil {
		t.Fatal("ftp URL accepted")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
