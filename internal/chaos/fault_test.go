package chaos

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTargetText(t *testing.T) {
	for _, s := range []string{"pipeline:orders", "task:orders/extract", "endpoint:sqlite:warehouse.db", "dataset:raw.orders", "agent:embedded-00"} {
		tg, err := ParseTarget(s)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", s, err)
		}
		if tg.String() != s {
			t.Errorf("ParseTarget(%q).String() = %q", s, tg)
		}
	}
	tg, _ := ParseTarget("endpoint:http:api.example.org")
	if tg.Type != TargetEndpoint || tg.Name != "http:api.example.org" {
		t.Errorf("endpoint target parsed as %+v", tg)
	}
	for _, s := range []string{"orders", "table:orders", "pipeline:", "task:extract"} {
		if _, err := ParseTarget(s); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", s)
		}
	}
}

func TestFaultValidate(t *testing.T) {
	f := func(want string, mod func(*Fault), k Kind, target string) {
		t.Helper()
		ft := fault("f1", k, target, mod)
		err := ft.Validate()
		switch {
		case want == "" && err != nil:
			t.Errorf("%+v: %v", ft, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%+v: error %v, want one containing %q", ft, err, want)
		}
	}
	none := func(*Fault) {}
	for _, k := range Kinds() {
		target := "dataset:raw.orders"
		if k.side() == sideAgent {
			target = "agent:a1"
		}
		f("", none, k, target)
	}
	f("empty ID", func(f *Fault) { f.ID = "" }, VolumeDrop, "dataset:raw.orders")
	f("unknown kind", func(f *Fault) { f.Kind = "meteor" }, VolumeDrop, "dataset:raw.orders")
	f("no start", func(f *Fault) { f.Start = time.Time{} }, VolumeDrop, "dataset:raw.orders")
	f("positive duration", func(f *Fault) { f.Duration = 0 }, VolumeDrop, "dataset:raw.orders")
	f("from 0 to 1", func(f *Fault) { f.Intensity = 1.5 }, VolumeDrop, "dataset:raw.orders")
	f("targets an agent", none, AgentCrash, "pipeline:orders")
	f("cannot target an agent", none, SinkFull, "agent:a1")
	f("", func(f *Fault) { f.Class = "http_5xx" }, SourceErrors, "endpoint:http:api")
	f("class \"schema\"", func(f *Fault) { f.Class = "schema" }, SourceErrors, "endpoint:http:api")
	f("class is only", func(f *Fault) { f.Class = "timeout" }, SinkFull, "endpoint:sqlite:w.db")
	f("change \"\"", func(f *Fault) { f.Change = "" }, SchemaChange, "dataset:raw.orders")
	f("change is only", func(f *Fault) { f.Change = ColumnAdded }, Drift, "dataset:raw.orders")
	f("column is only", func(f *Fault) { f.Column = "amount" }, VolumeDrop, "dataset:raw.orders")

	s := Schedule{fault("f1", VolumeDrop, "dataset:raw.a"), fault("f1", VolumeSpike, "dataset:raw.b")}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate IDs: %v", err)
	}
	if _, err := New(Options{Schedule: s}); err == nil {
		t.Error("New accepted an invalid schedule")
	}
}

func TestFaultJSON(t *testing.T) {
	in := Schedule{
		fault("f1", SourceErrors, "endpoint:http:api.example.org", func(f *Fault) { f.Class = "http_5xx"; f.Intensity = 0.4 }),
		fault("f2", SchemaChange, "dataset:raw.orders", func(f *Fault) { f.Change = ColumnRemoved; f.Column = "amount"; f.Duration = 90 * time.Minute }),
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"f2","kind":"schema_change","target":"dataset:raw.orders","start":"2030-01-07T00:00:00Z","end":"2030-01-07T01:30:00Z","intensity":1,"change":"column_removed","column":"amount"}`
	if !strings.Contains(string(b), want) {
		t.Errorf("JSON %s\nwant it to hold %s", b, want)
	}
	var out Schedule
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`[{"id":"x","target":"nowhere"}]`), &out); err == nil {
		t.Error("a bad target decoded")
	}
}

func TestScheduleActive(t *testing.T) {
	a := fault("a", VolumeDrop, "dataset:raw.orders")
	b := fault("b", Drift, "dataset:raw.orders", func(f *Fault) { f.Start = t0.Add(30 * time.Minute) })
	c := fault("c", VolumeDrop, "dataset:raw.customers")
	s := Schedule{a, b, c}
	target := a.Target
	ids := func(fs []Fault) string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{{-time.Nanosecond, ""}, {0, "a"}, {45 * time.Minute, "a,b"}, {time.Hour, "b"}, {90*time.Minute - 1, "b"}, {90 * time.Minute, ""}} {
		if got := ids(s.Active(target, t0.Add(tc.at))); got != tc.want {
			t.Errorf("Active at t0+%s = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestQuietDays(t *testing.T) {
	s := Schedule{
		fault("a", VolumeDrop, "dataset:raw.a", func(f *Fault) { f.Start = t0.Add(23 * time.Hour); f.Duration = 2 * time.Hour }),
		fault("b", VolumeDrop, "dataset:raw.a", func(f *Fault) { f.Start = t0.Add(3 * 24 * time.Hour) }),
	}
	got := s.QuietDays(t0, 4)
	want := []time.Time{t0.Add(2 * 24 * time.Hour)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("QuietDays = %v, want %v", got, want)
	}
}
