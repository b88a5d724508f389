package chaos

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestJSONLRoundTrip(t *testing.T) {
	recs := []GroundTruth{
		{Fault: "f1", Kind: SinkFull, Target: Target{TargetEndpoint, "sqlite:w.db"}, Start: t0, End: t0.Add(time.Hour),
			Intensity: 1, At: at, Agent: "a1", Pipeline: "orders", Task: "load", Run: "orders/2030-01-07T00:00:00Z", Attempt: 2,
			Effect: "failed the load of 3 rows with sink_full"},
		{Fault: "f2", Kind: AgentCrash, Target: Target{TargetAgent, "a1"}, Start: t0, End: t0.Add(time.Minute), Intensity: 1, At: at,
			Agent: "a1", Effect: "the agent crashed: it stopped heartbeating and claiming work"},
	}
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	for _, g := range recs {
		if err := w.WriteTruth(g); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), `"target":"endpoint:sqlite:w.db"`) || strings.Contains(buf.String(), `"run":""`) {
		t.Errorf("JSON lines:\n%s", buf.String())
	}
	got, err := ReadTruth(strings.NewReader(buf.String() + "\n  \n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, recs)
	}
	if _, err := ReadTruth(strings.NewReader(`{"fault":"f1","where":"x"}` + "\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestTruthsOrder(t *testing.T) {
	var tr Truths
	for _, g := range []GroundTruth{
		{Fault: "f2", At: t0.Add(time.Minute)},
		{Fault: "f2", At: t0, Run: "b"},
		{Fault: "f1", At: t0, Run: "z"},
		{Fault: "f2", At: t0, Run: "a"},
	} {
		if err := tr.WriteTruth(g); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, g := range tr.Records() {
		got = append(got, g.Fault+g.Run)
	}
	if want := []string{"f1z", "f2a", "f2b", "f2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) WriteTruth(GroundTruth) error { return errors.New("disk on fire") }

// TestTruthErrorsAreKept checks that a failure to record does not disturb
// the injection, and that Err reports it, through WithClock too.
func TestTruthErrorsAreKept(t *testing.T) {
	reg, settings, _ := ordersCSV(t, 10)
	in, err := New(Options{Schedule: Schedule{fault("f1", VolumeDrop, "pipeline:orders")}, Truth: failingWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	x := in.WithClock(newSimAt(at))
	_, rows, err := readAll(t, x.Source(newSource(t, reg, "csv", settings), Subject{}))
	if err != nil || len(rows) != 0 {
		t.Fatalf("read %d rows, %v", len(rows), err)
	}
	if err := in.Err(); err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "f1") {
		t.Errorf("Err() = %v", err)
	}
}
