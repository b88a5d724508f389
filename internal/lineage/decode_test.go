package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// validEvent is a complete event from another producer, with every typed
// facet and an unknown one, as JSON.
const validEvent = `{
  "eventType": "COMPLETE",
  "eventTime": "2024-05-06T09:08:09.123456+02:00",
  "run": {
    "runId": "0190C6A4-3B1E-7CC2-9A0E-6F3C2D1B0A99",
    "facets": {
      "nominalTime": {"_producer": "https://p.example", "_schemaURL": "https://s.example/nt", "nominalStartTime": "2024-05-06T07:00:00Z"},
      "errorMessage": {"_producer": "https://p.example", "_schemaURL": "https://s.example/em", "message": "boom", "programmingLanguage": "PYTHON"},
      "parent": {"_producer": "https://p.example", "_schemaURL": "https://s.example/p",
        "run": {"runId": "f99310b4-3c3c-1a1a-2b2b-c1b95c24ff11"}, "job": {"namespace": "airflow", "name": "dag"}},
      "airflow": {"_producer": "https://p.example", "_schemaURL": "https://s.example/af", "dag": {"dag_id": "dag", "tags": ["a", "<b>"]}, "n": 1.50}
    }
  },
  "job": {
    "namespace": "airflow",
    "name": "dag.task",
    "facets": {
      "jobType": {"_producer": "https://p.example", "_schemaURL": "https://s.example/jt", "processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK",
        "emissionPattern": {"eventTrigger": "PERIODIC", "eventContentMode": "COMPLETE_SNAPSHOT", "windowDuration": 300}}
    }
  },
  "inputs": [{
    "namespace": "postgres://db:5432",
    "name": "shop.public.orders",
    "facets": {
      "schema": {"_producer": "https://p.example", "_schemaURL": "https://s.example/sc", "fields": [
        {"name": "id", "type": "int8", "ordinal_position": 1},
        {"name": "address", "type": "struct", "fields": [{"name": "zip", "type": "text"}]}
      ]}
    },
    "inputFacets": {
      "dataQualityMetrics": {"_producer": "https://p.example", "_schemaURL": "https://s.example/dq", "rowCount": 10, "bytes": 2.0e3,
        "columnMetrics": {"order id": {"nullCount": 0, "sum": 55, "quantiles": {"0.5": 5.5}}}}
    }
  }],
  "outputs": [{
    "namespace": "postgres://db:5432",
    "name": "shop.public.orders_by_day",
    "outputFacets": {
      "outputStatistics": {"_producer": "https://p.example", "_schemaURL": "https://s.example/os", "rowCount": 3, "size": 96}
    }
  }],
  "producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.1.0",
  "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
  "someFutureField": {"ignored": true}
}`

func decodeString(s string) (RunEvent, error) {
	return Decode(strings.NewReader(s), 0)
}

func TestDecodeValid(t *testing.T) {
	ev, err := decodeString(validEvent)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC); ev.EventTime != want {
		t.Errorf("eventTime %v, want %v in UTC", ev.EventTime, want)
	}
	if ev.Run.RunID != "0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a99" {
		t.Errorf("runId %q, want it in lower case", ev.Run.RunID)
	}
	f := ev.Run.Facets
	if f.NominalTime == nil || f.ErrorMessage.ProgrammingLanguage != "PYTHON" || f.Parent.Job.Name != "dag" || f.Parent.Root != nil {
		t.Errorf("run facets %+v", f)
	}
	if got := string(f.Other["airflow"]); got != `{"_producer":"https://p.example","_schemaURL":"https://s.example/af","dag":{"dag_id":"dag","tags":["a","\u003cb\u003e"]},"n":1.50}` {
		t.Errorf("unknown facet kept as %s", got)
	}
	if jt := ev.Job.Facets.JobType; jt == nil || jt.EmissionPattern.WindowDuration != 300 || jt.Producer != "https://p.example" {
		t.Errorf("jobType %+v", jt)
	}
	in := ev.Inputs[0]
	if sc := in.Facets.Schema; len(sc.Fields) != 2 || sc.Fields[0].OrdinalPosition != 1 || sc.Fields[1].Fields[0].Name != "zip" {
		t.Errorf("schema %+v", sc)
	}
	dq := in.InputFacets.DataQualityMetrics
	if dq == nil || *dq.RowCount != 10 || *dq.Bytes != 2000 || *dq.ColumnMetrics["order id"].Sum != 55 || dq.ColumnMetrics["order id"].Quantiles["0.5"] != 5.5 {
		t.Errorf("dataQualityMetrics %+v", dq)
	}
	if os := ev.Outputs[0].OutputFacets.OutputStatistics; os == nil || *os.RowCount != 3 || *os.Size != 96 || os.FileCount != nil {
		t.Errorf("outputStatistics %+v", os)
	}

	// json.Unmarshal validates and normalizes in the same way.
	var viaJSON RunEvent
	if err := json.Unmarshal([]byte(validEvent), &viaJSON); err != nil {
		t.Fatal(err)
	}
	checkSameEvent(t, viaJSON, ev)
	if err := json.Unmarshal([]byte(`{"run": {"runId": "x"}}`), &viaJSON); err == nil || !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("json.Unmarshal of an invalid event: %v", err)
	}
}

// checkSameEvent fails unless a and b encode to the same JSON.
func checkSameEvent(t *testing.T, got, want RunEvent) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("events differ:\n got %s\nwant %s", g, w)
	}
}

func TestDecodeLenient(t *testing.T) {
	f := func(name, body string, check func(RunEvent) bool) {
		t.Helper()
		ev, err := decodeString(body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if !check(ev) {
			t.Errorf("%s: decoded %+v", name, ev)
		}
	}
	minimal := `"eventTime": "2024-05-06T07:08:09z", "run": {"runId": "0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a99"}, "job": {"namespace": "n", "name": "j"}, "producer": "urn:x", "schemaURL": "https://s"`
	f("no eventType", `{`+minimal+`}`, func(ev RunEvent) bool { return ev.EventType == "" })
	f("lower-case t and z", `{`+minimal+`}`, func(ev RunEvent) bool { return ev.EventTime.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) })
	f("empty lists and objects", `{`+minimal+`, "inputs": [], "outputs": [], "eventType": "OTHER"}`, func(ev RunEvent) bool {
		return ev.Inputs == nil && ev.Outputs == nil && ev.EventType == EventOther
	})
	f("unknown dataset and job fields", `{`+minimal+`, "inputs": [{"namespace": "a", "name": "b", "extra": 1, "facets": {}, "inputFacets": {}}]}`, func(ev RunEvent) bool {
		return len(ev.Inputs) == 1 && ev.Inputs[0].Facets.IsZero() && ev.Inputs[0].InputFacets.IsZero()
	})
	f("deleted facet", `{`+minimal+`, "outputs": [{"namespace": "a", "name": "b", "facets": {"schema": {"_producer": "urn:p", "_schemaURL": "urn:s", "_deleted": true}}}]}`, func(ev RunEvent) bool {
		return ev.Outputs[0].Facets.Schema.Deleted
	})
	f("nanoseconds beyond 9 digits are cut", strings.Replace(`{`+minimal+`}`, "09z", "09.1234567891Z", 1), func(ev RunEvent) bool { return ev.EventTime.Nanosecond() == 123456789 })
}

func TestDecodeErrors(t *testing.T) {
	f := func(want string, edits ...edit) {
		t.Helper()
		var doc map[string]any
		if err := json.Unmarshal([]byte(validEvent), &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			e.apply(t, doc)
		}
		body, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(bytes.NewReader(body), 0)
		if err == nil || err.Error() != want {
			t.Errorf("got error %v\nwant %s", err, want)
			return
		}
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%v does not match ErrInvalidEvent", err)
		}
	}
	// Required fields.
	f(`eventTime: required field missing`, del("eventTime"))
	f(`producer: required field missing`, del("producer"))
	f(`schemaURL: required field missing`, del("schemaURL"))
	f(`run: required field missing`, del("run"))
	f(`job: required field missing`, del("job"))
	f(`run.runId: required field missing`, del("run.runId"))
	f(`job.namespace: required field missing`, del("job.namespace"))
	f(`inputs[0].name: required field missing`, del("inputs.0.name"))
	f(`outputs[0].namespace: required field missing`, del("outputs.0.namespace"))

	// Types.
	f(`eventTime: got number, want string`, set("eventTime", 1714979289))
	f(`run: got array, want object`, set("run", []any{}))
	f(`job.name: got null, want string`, set("job.name", nil))
	f(`inputs: got object, want array`, set("inputs", map[string]any{}))
	f(`outputs[0]: got string, want object`, set("outputs.0", "shop.orders"))
	f(`run.facets: got array, want object`, set("run.facets", []any{}))

	// Values.
	f(`eventType: "start" is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER`, set("eventType", "start"))
	f(`eventType: "" is not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER`, set("eventType", ""))
	f(`run.runId: "abc" is not a UUID`, set("run.runId", "abc"))
	f(`run.runId: "0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a9g" is not a UUID`, set("run.runId", "0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a9g"))
	f(`run.runId: "{0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a99}" is not a UUID`, set("run.runId", "{0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a99}"))
	for _, bad := range []string{
		"2024-05-06T07:08:09",           // no time zone
		"2024-05-06 07:08:09Z",          // space
		"2024-05-06T07:08:09,5Z",        // comma
		"2024-05-06T07:08:09+24:00",     // offset hour
		"2024-05-06T07:08:09+0200",      // offset without colon
		"2024-02-30T07:08:09Z",          // no such day
		"2024-05-06T07:08:60Z",          // leap second
		"2024-05-06T07:08:09.Z",         // empty fraction
		"0000-01-01T00:30:00+01:00",     // year -1 in UTC
		"2024-05-06",                    // date only
		"Mon, 06 May 2024 07:08:09 GMT", // RFC 1123
	} {
		f(`eventTime: `+strconv.Quote(bad)+` is not an RFC 3339 date-time with a time zone`, set("eventTime", bad))
	}
	f(`producer: "airflow" is not an absolute URI`, set("producer", "airflow"))
	f(`schemaURL: "" is not an absolute URI`, set("schemaURL", ""))
	f(`job.name: must not be empty`, set("job.name", ""))
	f(`inputs[0].namespace: must not be empty`, set("inputs.0.namespace", ""))

	// Facets of every kind.
	f(`run.facets.airflow._producer: required field missing`, del("run.facets.airflow._producer"))
	f(`run.facets.airflow._schemaURL: "not a uri" is not an absolute URI`, set("run.facets.airflow._schemaURL", "not a uri"))
	f(`job.facets.sql: got string, want object`, set("job.facets.sql", "SELECT 1"))
	f(`inputs[0].facets["my.facet"]._deleted: got string, want boolean`,
		set("inputs.0.facets.my\\.facet", map[string]any{"_producer": "urn:p", "_schemaURL": "urn:s", "_deleted": "yes"}))
	f(`run.facets.errorMessage.programmingLanguage: required field missing`, del("run.facets.errorMessage.programmingLanguage"))
	f(`run.facets.errorMessage.message: got number, want string`, set("run.facets.errorMessage.message", 1))
	f(`run.facets.nominalTime.nominalStartTime: required field missing`, del("run.facets.nominalTime.nominalStartTime"))
	f(`run.facets.nominalTime.nominalEndTime: "tomorrow" is not an RFC 3339 date-time with a time zone`, set("run.facets.nominalTime.nominalEndTime", "tomorrow"))
	f(`run.facets.parent.run.runId: "dag-run-1" is not a UUID`, set("run.facets.parent.run.runId", "dag-run-1"))
	f(`run.facets.parent.job: required field missing`, del("run.facets.parent.job"))
	f(`run.facets.parent.root.job: required field missing`, set("run.facets.parent.root", map[string]any{"run": map[string]any{"runId": "f99310b4-3c3c-1a1a-2b2b-c1b95c24ff11"}}))
	f(`job.facets.jobType.integration: required field missing`, del("job.facets.jobType.integration"))
	f(`job.facets.jobType.emissionPattern.windowDuration: 0 is less than the minimum of 1`, set("job.facets.jobType.emissionPattern.windowDuration", 0))
	f(`job.facets.jobType.emissionPattern.eventContentMode: required field missing`, del("job.facets.jobType.emissionPattern.eventContentMode"))
	f(`job.facets.jobType._deleted: got number, want boolean`, set("job.facets.jobType._deleted", 1))
	f(`inputs[0].facets.schema.fields[1].name: required field missing`, del("inputs.0.facets.schema.fields.1.name"))
	f(`inputs[0].facets.schema.fields[1].fields[0].type: got boolean, want string`, set("inputs.0.facets.schema.fields.1.fields.0.type", true))
	f(`inputs[0].facets.schema.fields[0].ordinal_position: 1.5 is not an integer`, set("inputs.0.facets.schema.fields.0.ordinal_position", 1.5))
	f(`inputs[0].inputFacets.dataQualityMetrics.columnMetrics: required field missing`, del("inputs.0.inputFacets.dataQualityMetrics.columnMetrics"))
	f(`inputs[0].inputFacets.dataQualityMetrics.rowCount: 1e+30 is out of the range of a 64-bit integer`, set("inputs.0.inputFacets.dataQualityMetrics.rowCount", 1e30))
	f(`inputs[0].inputFacets.dataQualityMetrics.columnMetrics["order id"].nullCount: got string, want integer`,
		set("inputs.0.inputFacets.dataQualityMetrics.columnMetrics.order id.nullCount", "0"))
	f(`inputs[0].inputFacets.dataQualityMetrics.columnMetrics["order id"].quantiles["0.5"]: got string, want number`,
		set("inputs.0.inputFacets.dataQualityMetrics.columnMetrics.order id.quantiles.0\\.5", "5.5"))
	f(`inputs[0].inputFacets.dataQualityMetrics.lastUpdated: "yesterday" is not an RFC 3339 date-time with a time zone`,
		set("inputs.0.inputFacets.dataQualityMetrics.lastUpdated", "yesterday"))
	f(`outputs[0].outputFacets.outputStatistics.size: got string, want integer`, set("outputs.0.outputFacets.outputStatistics.size", "96"))
	f(`outputs[0].facets.dataQualityMetrics.columnMetrics: got array, want object`,
		set("outputs.0.facets", map[string]any{"dataQualityMetrics": map[string]any{"_producer": "urn:p", "_schemaURL": "urn:s", "columnMetrics": []any{}}}))
}

func TestDecodePayloadErrors(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		_, err := decodeString(body)
		if err == nil || err.Error() != want {
			t.Errorf("Decode(%q): got error %v\nwant %s", body, err, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%v does not match ErrInvalidEvent", err)
		}
	}
	f(``, `empty payload: want a JSON event`)
	f(" \n\t", `empty payload: want a JSON event`)
	f(`{"eventTime": }`, `invalid JSON at byte 15: invalid character '}' looking for beginning of value`)
	f(`{"eventTime": "x"`, `invalid JSON: unexpected end of input`)
	f(`{} {}`, `invalid JSON: data after the top-level value at byte 3`)
	f(`null`, `got null, want object`)
	f(`"event"`, `got string, want object`)
	f(`[{}]`, `got an array, want one event (DecodeBatch reads arrays)`)
	f(`{"eventTime": "`+strings.Repeat("9", 100)+`"}`, `eventTime: "`+strings.Repeat("9", 64)+`"... is not an RFC 3339 date-time with a time zone`)
}

func TestDecodeLimit(t *testing.T) {
	body := validEvent
	if _, err := Decode(strings.NewReader(body), int64(len(body))); err != nil {
		t.Errorf("a payload of exactly the limit: %v", err)
	}
	_, err := Decode(strings.NewReader(body), int64(len(body)-1))
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalidEvent) {
		t.Errorf("a payload over the limit: %v, want ErrTooLarge", err)
	}
	if want := "OpenLineage payload too large: over " + strconv.Itoa(len(body)-1) + " bytes"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestDecodeBatch(t *testing.T) {
	events, err := DecodeBatch(strings.NewReader("["+validEvent+","+validEvent+"]"), 0)
	if err != nil || len(events) != 2 {
		t.Fatalf("got %d events, %v", len(events), err)
	}
	events, err = DecodeBatch(strings.NewReader(validEvent), 0)
	if err != nil || len(events) != 1 {
		t.Fatalf("one event: got %d events, %v", len(events), err)
	}
	bad := strings.Replace(validEvent, `"dag.task"`, `""`, 1)
	_, err = DecodeBatch(strings.NewReader("["+validEvent+","+bad+"]"), 0)
	if err == nil || err.Error() != `[1].job.name: must not be empty` {
		t.Errorf("bad second event: %v", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "[1].job.name" {
		t.Errorf("error %#v, want a ValidationError with the path", err)
	}
	_, err = DecodeBatch(strings.NewReader(" [ ] "), 0)
	if err == nil || err.Error() != `empty batch: want at least one event` {
		t.Errorf("empty batch: %v", err)
	}
	_, err = DecodeBatch(strings.NewReader(`[1]`), 0)
	if err == nil || err.Error() != `[0]: got number, want object` {
		t.Errorf("batch of a number: %v", err)
	}
}

func TestFacetsJSON(t *testing.T) {
	// A facets container decodes and validates on its own, too.
	var f RunFacets
	if err := json.Unmarshal([]byte(`{"errorMessage": {"_producer": "urn:p", "_schemaURL": "urn:s", "message": "m"}}`), &f); err == nil ||
		err.Error() != `errorMessage.programmingLanguage: required field missing` {
		t.Errorf("got %v", err)
	}
	// Each container encodes and decodes back to itself.
	ev, err := decodeString(validEvent)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, ev.Run.Facets)
	roundTrip(t, ev.Job.Facets)
	roundTrip(t, ev.Inputs[0].Facets)
	roundTrip(t, ev.Inputs[0].InputFacets)
	roundTrip(t, ev.Outputs[0].OutputFacets)
	var out OutputDatasetFacets
	if err := json.Unmarshal([]byte(`{"outputStatistics": {"_producer": "urn:p", "_schemaURL": "urn:s", "fileCount": -0.5}}`), &out); err == nil ||
		err.Error() != `outputStatistics.fileCount: -0.5 is not an integer` {
		t.Errorf("got %v", err)
	}

	// A typed facet wins over an untyped one of the same name.
	f = RunFacets{
		ErrorMessage: &ErrorMessageRunFacet{BaseFacet: BaseFacet{Producer: "urn:p", SchemaURL: "urn:s"}, Message: "typed", ProgrammingLanguage: "GO"},
		Other:        map[string]json.RawMessage{"errorMessage": json.RawMessage(`{"message":"raw"}`), "x": json.RawMessage(`{"a":1}`)},
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"errorMessage":{"_producer":"urn:p","_schemaURL":"urn:s","message":"typed","programmingLanguage":"GO"},"x":{"a":1}}`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	// The columnMetrics the schema requires are written even when nil.
	b, err = json.Marshal(DataQualityMetricsInputDatasetFacet{BaseFacet: BaseFacet{Producer: "urn:p", SchemaURL: "urn:s"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"_producer":"urn:p","_schemaURL":"urn:s","columnMetrics":{}}`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

// roundTrip encodes facets and decodes them again with json.Unmarshal,
// failing unless the result equals facets.
func roundTrip[T any](t *testing.T, facets T) {
	t.Helper()
	b, err := json.Marshal(facets)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if !reflect.DeepEqual(got, facets) {
		t.Errorf("%T changed in a round trip:\n got %+v\nwant %+v", facets, got, facets)
	}
}

// edit changes a parsed JSON document at a dotted path, in which numbers
// index arrays and `\.` is a dot within a key.
type edit struct {
	path   string
	value  any
	delete bool
}

func set(path string, v any) edit { return edit{path: path, value: v} }
func del(path string) edit        { return edit{path: path, delete: true} }

func (e edit) apply(t *testing.T, doc map[string]any) {
	t.Helper()
	keys := strings.Split(strings.ReplaceAll(e.path, `\.`, "\x00"), ".")
	var cur any = doc
	for i, k := range keys {
		k = strings.ReplaceAll(k, "\x00", ".")
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if e.delete {
					delete(c, k)
				} else {
					c[k] = e.value
				}
				return
			}
			cur = c[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n >= len(c) {
				t.Fatalf("edit %s: bad index %q", e.path, k)
			}
			if last {
				c[n] = e.value
				return
			}
			cur = c[n]
		default:
			t.Fatalf("edit %s: %q is not in the document", e.path, k)
		}
	}
}
