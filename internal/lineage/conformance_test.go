package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestBuilderConformance checks that every event the Builder makes is valid
// OpenLineage, facets included, and that Decode reads it back unchanged.
func TestBuilderConformance(t *testing.T) {
	s := loadSpec(t)
	for _, fx := range builderFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			s.validateEvent(t, fx.event)
			s.validateFacets(t, fx.event)
			data, err := json.Marshal(fx.event)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(data), 0)
			if err != nil {
				t.Fatalf("Decode of a built event: %v\n%s", err, data)
			}
			if !reflect.DeepEqual(got, fx.event) {
				t.Errorf("Decode changed the event:\n got %+v\nwant %+v", got, fx.event)
			}
		})
	}
}

// TestSpecExamples embeds each facet example of the specification into a
// full event at the place its schema gives it, checks that the event is
// valid, and that Decode accepts it and keeps the facet whole, typed or
// not.
func TestSpecExamples(t *testing.T) {
	s := loadSpec(t)
	files, err := filepath.Glob(filepath.Join(specDir, "tests", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s/tests (err %v)", specDir, err)
	}
	for _, file := range files {
		facetName := filepath.Base(filepath.Dir(file))
		t.Run(facetName+"/"+filepath.Base(file), func(t *testing.T) {
			id := s.facetSchemaID(t, facetName)
			example := readJSON(t, file)
			if err := s.validate(t, id, example); err != nil {
				t.Fatalf("the example does not validate against %s: %v", id, err)
			}
			for key, facet := range example.(map[string]any) {
				for _, kind := range s.exampleKinds(t, id, key, facet) {
					ev := embedFacet(t, kind, key, facet)
					s.validateEvent(t, ev)
					checkDecodeKeeps(t, ev, kind, key, facet)
				}
			}
		})
	}
}

// TestFullEventExample decodes the specification's full event example,
// which also carries the dataset of a DatasetEvent; that field is ignored.
func TestFullEventExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(specDir, "tests", "example_full_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Decode(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.EventType != EventComplete || ev.Job.Name != "dbt" || ev.Run.RunID != "f69a6e9b-9bac-3c9a-9cf6-eacb70ecc9a9" {
		t.Errorf("decoded %+v", ev)
	}
	if got := string(ev.Job.Facets.Other["sql"]); got != `{"_producer":"http://123","_schemaURL":"http://123","query":"SELECT 1"}` {
		t.Errorf("sql facet = %s", got)
	}
	if !ev.Run.Facets.IsZero() || ev.Inputs != nil || ev.Outputs != nil {
		t.Errorf("empty facets and datasets should decode to zero values: %+v", ev)
	}
}

// facetSchemaID returns the $id of facets/<name>.json.
func (s *spec) facetSchemaID(t *testing.T, name string) string {
	t.Helper()
	want := filepath.Join(specDir, "facets", name+".json")
	for id, file := range s.files {
		if file == want {
			return id
		}
	}
	t.Fatalf("no schema %s for the example", want)
	return ""
}

// exampleKinds returns the kinds of place facet belongs in: those of the
// definitions of the schema id, among those its property key may be, that
// validate it. Some facets, such as lineage, fit more than one place.
func (s *spec) exampleKinds(t *testing.T, id, key string, facet any) []string {
	t.Helper()
	props, _ := s.docs[id].(map[string]any)["properties"].(map[string]any)
	var kinds []string
	for _, def := range s.candidateDefs(id, props[key]) {
		kind := s.facetKind(id, def)
		if kind != "" && s.validate(t, id+"#/$defs/"+def, facet) == nil && !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	if len(kinds) == 0 {
		t.Fatalf("facet %q fits no place in %s", key, id)
	}
	return kinds
}

// candidateDefs returns the definitions a schema may refer to, through
// $ref, anyOf and oneOf.
func (s *spec) candidateDefs(id string, schema any) []string {
	m, _ := schema.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		def, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			return nil
		}
		defs, _ := s.docs[id].(map[string]any)["$defs"].(map[string]any)
		if sub := s.candidateDefs(id, defs[def]); len(sub) > 0 {
			return sub
		}
		return []string{def}
	}
	var out []string
	for _, k := range []string{"anyOf", "oneOf"} {
		list, _ := m[k].([]any)
		for _, alt := range list {
			out = append(out, s.candidateDefs(id, alt)...)
		}
	}
	return out
}

// embedFacet returns a minimal valid event with facet as key in the place
// for kind.
func embedFacet(t *testing.T, kind, key string, facet any) map[string]any {
	t.Helper()
	facets := map[string]any{key: facet}
	input := map[string]any{"namespace": "postgres://db:5432", "name": "shop.orders"}
	output := map[string]any{"namespace": "postgres://db:5432", "name": "shop.orders_by_day"}
	run := map[string]any{"runId": "0190c6a4-3b1e-7cc2-9a0e-6f3c2d1b0a99"}
	job := map[string]any{"namespace": "airflow", "name": "shop_dag.load"}
	switch kind {
	case kindRun:
		run["facets"] = facets
	case kindJob:
		job["facets"] = facets
	case kindDataset:
		input["facets"] = facets
	case kindInput:
		input["inputFacets"] = facets
	case kindOutput:
		output["outputFacets"] = facets
	default:
		t.Fatalf("unknown facet kind %q", kind)
	}
	return map[string]any{
		"eventType": "COMPLETE",
		"eventTime": "2024-05-06T07:08:09.123Z",
		"run":       run,
		"job":       job,
		"inputs":    []any{input},
		"outputs":   []any{output},
		"producer":  "https://github.com/apache/airflow/tree/providers-openlineage/2.1.0",
		"schemaURL": SpecSchemaURL,
	}
}

// checkDecodeKeeps decodes ev and checks that encoding the result gives
// back facet key at its place, equal as JSON.
func checkDecodeKeeps(t *testing.T, ev map[string]any, kind, key string, facet any) {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := Decode(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	again, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(again, &out); err != nil {
		t.Fatal(err)
	}
	var got any
	walkFacets(out, "", func(_, k, name string, f map[string]any) {
		if k == kind && name == key {
			got = f
		}
	})
	if !reflect.DeepEqual(got, asPlainJSON(t, facet)) {
		t.Errorf("facet %q changed in Decode:\n got %v\nwant %v", key, got, asPlainJSON(t, facet))
	}
}

// asPlainJSON re-parses v with numbers as float64, as json.Unmarshal does.
func asPlainJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConformanceCanFail makes sure the checks of TestBuilderConformance
// catch what they are for.
func TestConformanceCanFail(t *testing.T) {
	s := loadSpec(t)
	var base RunEvent
	for _, fx := range builderFixtures(t) {
		if fx.name == "task_complete" {
			base = fx.event
		}
	}
	f := func(name string, check func(*spec, testing.TB, any), mutate func(ev *RunEvent)) {
		t.Helper()
		data, err := json.Marshal(base)
		if err != nil {
			t.Fatal(err)
		}
		var ev RunEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		mutate(&ev)
		rec := &errorRecorder{TB: t}
		check(s, rec, ev)
		if len(rec.errors) == 0 {
			t.Errorf("%s: no error found", name)
		}
	}
	f("run ID not a UUID", (*spec).validateEvent, func(ev *RunEvent) { ev.Run.RunID = "orders_mart/2026-01-02T03:00:00Z" })
	f("relative producer", (*spec).validateEvent, func(ev *RunEvent) { ev.Producer = "vigil" })
	f("facet in the wrong place", (*spec).validateFacets, func(ev *RunEvent) {
		ev.Run.Facets.NominalTime.SchemaURL = JobTypeSchemaURL
	})
	f("facet not as its schema says", (*spec).validateFacets, func(ev *RunEvent) {
		ev.Outputs[0].OutputFacets.OutputStatistics.SchemaURL = DataQualityMetricsInputSchemaURL
	})
	f("facet schema not local", (*spec).validateFacets, func(ev *RunEvent) {
		ev.Job.Facets.JobType.SchemaURL = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	})
}

// errorRecorder is a testing.TB that records errors instead of failing.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) Helper() {}
