package chaos

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// GroundTruth records one injection: which fault (its kind, target, window
// and intensity), when it was applied, to what, and with what effect.
// Benchmarks match what Vigil detected and diagnosed against these.
type GroundTruth struct {
	Fault     string    `json:"fault"`
	Kind      Kind      `json:"kind"`
	Target    Target    `json:"target"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Intensity float64   `json:"intensity"`
	// At is when the fault was applied: the clock's time in the real
	// runtime, the attempt's dispatch in the simulator.
	At time.Time `json:"at"`
	// Agent, Pipeline, Task, Run and Attempt say what it was applied to,
	// as far as the injection point knows.
	Agent    string `json:"agent,omitempty"`
	Pipeline string `json:"pipeline,omitempty"`
	Task     string `json:"task,omitempty"`
	Run      string `json:"run,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
	// Effect says what the injection did, such as "delayed the read by
	// 2m0s" or "kept 120 of 400 rows".
	Effect string `json:"effect"`
}

// compare orders records by time, fault, run, task, attempt, agent and
// effect: the order Truths.Records returns.
func (g GroundTruth) compare(o GroundTruth) int {
	return cmp.Or(g.At.Compare(o.At), strings.Compare(g.Fault, o.Fault), strings.Compare(g.Run, o.Run),
		strings.Compare(g.Task, o.Task), cmp.Compare(g.Attempt, o.Attempt), strings.Compare(g.Agent, o.Agent),
		strings.Compare(g.Effect, o.Effect))
}

// TruthWriter receives ground-truth records. Implementations are safe for
// concurrent use.
type TruthWriter interface {
	WriteTruth(GroundTruth) error
}

// Truths keeps ground-truth records in memory. The zero value is ready to
// use.
type Truths struct {
	mu   sync.Mutex
	recs []GroundTruth
}

// WriteTruth keeps g.
func (t *Truths) WriteTruth(g GroundTruth) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs = append(t.recs, g)
	return nil
}

// Records returns the records kept so far, ordered by time, then fault,
// run, task and attempt, so that the order does not depend on which
// goroutine recorded first.
func (t *Truths) Records() []GroundTruth {
	t.mu.Lock()
	out := slices.Clone(t.recs)
	t.mu.Unlock()
	slices.SortStableFunc(out, GroundTruth.compare)
	return out
}

// JSONLWriter writes ground-truth records to a writer as JSON lines.
type JSONLWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONLWriter returns a writer of one JSON object per line to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	return &JSONLWriter{enc: json.NewEncoder(w)}
}

// WriteTruth writes g as one line.
func (j *JSONLWriter) WriteTruth(g GroundTruth) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(g)
}

// ReadTruth reads the JSON lines a JSONLWriter wrote. Blank lines are
// skipped; unknown fields are errors, naming the line.
func ReadTruth(r io.Reader) ([]GroundTruth, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var out []GroundTruth
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var g GroundTruth
		if err := dec.Decode(&g); err != nil {
			return out, fmt.Errorf("read ground truth line %d: %w", line, err)
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read ground truth: %w", err)
	}
	return out, nil
}
