package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specDir holds the OpenLineage specification: OpenLineage.json, the facet
// schemas in facets/ and their examples in tests/. It is part of the
// repository's shared folder, there in CI too, so its absence fails.
const specDir = "../../../shared/openlineage"

// The $defs of OpenLineage.json that the facets of each place extend.
const (
	kindRun     = "RunFacet"
	kindJob     = "JobFacet"
	kindDataset = "DatasetFacet"
	kindInput   = "InputDatasetFacet"
	kindOutput  = "OutputDatasetFacet"
)

// spec is the OpenLineage specification loaded for validation.
type spec struct {
	compiler *jsonschema.Compiler
	// docs holds each schema document by its $id.
	docs map[string]any
	// files maps the $id of each schema to its file.
	files map[string]string
	// mainID is the $id of OpenLineage.json.
	mainID string
}

// specLoader serves the schemas from their local files by $id, so that
// the references of the facet schemas to OpenLineage.json resolve without
// network.
type specLoader map[string]any

func (l specLoader) Load(url string) (any, error) {
	doc, ok := l[url]
	if !ok {
		return nil, fmt.Errorf("no local copy of %s (tests use no network)", url)
	}
	return doc, nil
}

// loadSpec loads the specification, asserting formats (date-time, uuid,
// uri) as Vigil does.
func loadSpec(t testing.TB) *spec {
	t.Helper()
	s := &spec{docs: map[string]any{}, files: map[string]string{}}
	facetFiles, err := filepath.Glob(filepath.Join(specDir, "facets", "*.json"))
	if err != nil || len(facetFiles) == 0 {
		t.Fatalf("no facet schemas in %s (err %v)", specDir, err)
	}
	for _, file := range append([]string{filepath.Join(specDir, "OpenLineage.json")}, facetFiles...) {
		doc := readJSON(t, file)
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s: no $id", file)
		}
		s.docs[id] = doc
		s.files[id] = file
		if strings.HasSuffix(file, "OpenLineage.json") {
			s.mainID = id
		}
	}
	s.compiler = jsonschema.NewCompiler()
	s.compiler.UseLoader(specLoader(s.docs))
	s.compiler.AssertFormat()
	return s
}

// readJSON parses a JSON file as the validator wants it.
func readJSON(t testing.TB, file string) any {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// toInstance turns a value into what the validator wants: JSON parsed with
// numbers as json.Number.
func toInstance(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// validate validates inst against the schema at url, fragment included.
func (s *spec) validate(t testing.TB, url string, inst any) error {
	t.Helper()
	sch, err := s.compiler.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	return sch.Validate(inst)
}

// validateEvent validates an event against OpenLineage.json.
func (s *spec) validateEvent(t testing.TB, ev any) {
	t.Helper()
	if err := s.validate(t, s.mainID, toInstance(t, ev)); err != nil {
		t.Errorf("event does not validate against OpenLineage.json: %v", err)
	}
}

// validateFacets validates each facet of an event against the definition
// its _schemaURL names, which must be one of the local schemas and must
// extend the facet kind of the place the facet is in.
func (s *spec) validateFacets(t testing.TB, ev any) {
	t.Helper()
	n := 0
	walkFacets(toInstance(t, ev), "", func(path, kind, _ string, facet map[string]any) {
		n++
		url, _ := facet["_schemaURL"].(string)
		id, def, ok := strings.Cut(url, "#/$defs/")
		if _, known := s.docs[id]; !ok || !known {
			t.Errorf("%s: _schemaURL %q names no definition of a local facet schema", path, url)
			return
		}
		if got := s.facetKind(id, def); got != kind {
			t.Errorf("%s: %s extends %q, but the facet is in a place for %s", path, url, got, kind)
		}
		if err := s.validate(t, url, facet); err != nil {
			t.Errorf("%s: does not validate against %s: %v", path, url, err)
		}
	})
	if n == 0 {
		t.Errorf("event has no facets")
	}
}

// facetKind returns which facet of OpenLineage.json the definition def of
// the schema id extends, as its first allOf reference says.
func (s *spec) facetKind(id, def string) string {
	defs, _ := s.docs[id].(map[string]any)["$defs"].(map[string]any)
	d, _ := defs[def].(map[string]any)
	allOf, _ := d["allOf"].([]any)
	if len(allOf) == 0 {
		return ""
	}
	first, _ := allOf[0].(map[string]any)
	ref, _ := first["$ref"].(string)
	_, kind, _ := strings.Cut(ref, s.mainID+"#/$defs/")
	return kind
}

// walkFacets calls fn for every facet of a parsed event, nested ones in
// parent facets included, with its path and the kind of facet its place
// holds.
func walkFacets(ev any, path string, fn func(path, kind, name string, facet map[string]any)) {
	o, _ := ev.(map[string]any)
	facets := func(v any, path, kind string) {
		m, _ := v.(map[string]any)
		for name, f := range m {
			facet, _ := f.(map[string]any)
			fn(keyPath(path, name), kind, name, facet)
			if name == FacetParent && kind == kindRun {
				walkFacets(facet, keyPath(path, name), fn)
			}
		}
	}
	run, _ := o["run"].(map[string]any)
	facets(run["facets"], keyPath(keyPath(path, "run"), "facets"), kindRun)
	job, _ := o["job"].(map[string]any)
	facets(job["facets"], keyPath(keyPath(path, "job"), "facets"), kindJob)
	if root, ok := o["root"]; ok {
		walkFacets(root, keyPath(path, "root"), fn)
	}
	for _, side := range []struct{ key, facetsKey, kind string }{
		{"inputs", "inputFacets", kindInput},
		{"outputs", "outputFacets", kindOutput},
	} {
		list, _ := o[side.key].([]any)
		for i, d := range list {
			dm, _ := d.(map[string]any)
			p := indexPath(keyPath(path, side.key), i)
			facets(dm["facets"], keyPath(p, "facets"), kindDataset)
			facets(dm[side.facetsKey], keyPath(p, side.facetsKey), side.kind)
		}
	}
}
