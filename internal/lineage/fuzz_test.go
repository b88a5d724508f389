package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus of FuzzDecode under testdata/fuzz")

// FuzzDecode decodes arbitrary payloads. Decode must not panic, must fail
// only with ErrInvalidEvent, and what it accepts must encode and decode
// again to the same event and the same JSON.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := DecodeBatch(bytes.NewReader(data), 0); err != nil && !errors.Is(err, ErrInvalidEvent) {
			t.Fatalf("DecodeBatch failed with an unexpected error: %v", err)
		}
		ev, err := Decode(bytes.NewReader(data), 0)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Decode failed with an unexpected error: %v", err)
			}
			return
		}
		enc, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("encode an accepted event: %v", err)
		}
		again, err := Decode(bytes.NewReader(enc), 0)
		if err != nil {
			t.Fatalf("decode an encoded event: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(again, ev) {
			t.Fatalf("the event changed in a round trip:\n got %#v\nwant %#v", again, ev)
		}
		enc2, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc2, enc) {
			t.Fatalf("the encoding changed in a round trip:\n got %s\nwant %s", enc2, enc)
		}
		var viaJSON RunEvent
		if err := json.Unmarshal(data, &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, ev) {
			t.Fatalf("json.Unmarshal differs from Decode: %v", err)
		}
	})
}

// TestFuzzCorpus writes the seed corpus of FuzzDecode when asked to, and
// otherwise checks that it exists: events the Builder makes, events with
// the specification's facet examples, a batch, and broken events.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if !*updateCorpus {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) < 10 {
			t.Fatalf("the seed corpus in %s is missing or small (%v); run with -update-corpus", dir, err)
		}
		return
	}
	seeds := map[string][]byte{"valid": []byte(validEvent), "batch": []byte("[" + validEvent + "," + validEvent + "]")}
	for _, fx := range builderFixtures(t) {
		b, err := json.Marshal(fx.event)
		if err != nil {
			t.Fatal(err)
		}
		seeds["builder-"+fx.name] = b
	}
	s := loadSpec(t)
	files, err := filepath.Glob(filepath.Join(specDir, "tests", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		facetName := filepath.Base(filepath.Dir(file))
		id := s.facetSchemaID(t, facetName)
		for key, facet := range readJSON(t, file).(map[string]any) {
			kind := s.exampleKinds(t, id, key, facet)[0]
			b, err := json.Marshal(embedFacet(t, kind, key, facet))
			if err != nil {
				t.Fatal(err)
			}
			seeds["spec-"+facetName+"-"+strings.TrimSuffix(filepath.Base(file), ".json")] = b
		}
	}
	if full, err := os.ReadFile(filepath.Join(specDir, "tests", "example_full_event.json")); err == nil {
		seeds["spec-full-event"] = full
	}
	for name, broken := range map[string]string{
		"bad-runid":      strings.Replace(validEvent, "0190C6A4-3B1E-7CC2-9A0E-6F3C2D1B0A99", "abc", 1),
		"bad-time":       strings.Replace(validEvent, "+02:00", "", 1),
		"bad-type":       strings.Replace(validEvent, `"COMPLETE"`, `"DONE"`, 1),
		"truncated":      validEvent[:len(validEvent)/2],
		"deep-parent":    deepParent(40),
		"huge-numbers":   strings.Replace(validEvent, `"rowCount": 10`, `"rowCount": 1e400`, 1),
		"offset-year-0":  strings.Replace(validEvent, "2024-05-06T09:08:09.123456+02:00", "0000-01-01T00:00:00+01:00", 1),
		"invalid-utf8":   strings.Replace(validEvent, "boom", "bo\xffom", 1),
		"empty-batch":    "[]",
		"trailing-data":  validEvent + " {}",
		"html-in-facets": strings.Replace(validEvent, `"dag_id": "dag"`, `"dag_id": "<script>&\u2028"`, 1),
	} {
		seeds[name] = []byte(broken)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// deepParent returns an event whose parent facet nests n levels deep.
func deepParent(n int) string {
	facets := `{}`
	for i := range n {
		facets = fmt.Sprintf(`{"parent": {"_producer": "urn:p", "_schemaURL": "urn:s", "run": {"runId": "00000000-0000-0000-0000-%012d", "facets": %s}, "job": {"namespace": "n", "name": "j%d"}}}`, i, facets, i)
	}
	return `{"eventTime": "2024-05-06T07:08:09Z", "run": {"runId": "00000000-0000-0000-0000-000000000000", "facets": ` + facets +
		`}, "job": {"namespace": "n", "name": "j"}, "producer": "urn:x", "schemaURL": "urn:y"}`
}
