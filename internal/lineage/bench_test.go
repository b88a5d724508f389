package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecode decodes a typical event from another producer.
func BenchmarkDecode(b *testing.B) {
	benchmarkDecode(b, []byte(validEvent))
}

// BenchmarkDecodeLarge decodes an event of a wide table, with a schema,
// column metrics and an unknown facet for each of 5,000 columns (about
// 1.5 MB), as Spark and dbt send for wide tables.
func BenchmarkDecodeLarge(b *testing.B) {
	var fields, metrics, lineage []string
	for i := range 5000 {
		fields = append(fields, fmt.Sprintf(`{"name": "column_%d", "type": "decimal(38,9)", "description": "Column number %d.", "ordinal_position": %d}`, i, i, i+1))
		metrics = append(metrics, fmt.Sprintf(`"column_%d": {"nullCount": %d, "distinctCount": 1000, "sum": 12345.678, "min": 0.1, "max": 999.9, "quantiles": {"0.5": 50.5, "0.99": 990.1}}`, i, i))
		lineage = append(lineage, fmt.Sprintf(`"column_%d": {"inputFields": [{"namespace": "s3://bucket", "name": "/raw/table", "field": "src_%d", "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]}`, i, i))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(validEvent), &doc); err != nil {
		b.Fatal(err)
	}
	input := doc["inputs"].([]any)[0].(map[string]any)
	input["facets"] = json.RawMessage(`{
      "schema": {"_producer": "https://p.example", "_schemaURL": "https://s.example/sc", "fields": [` + strings.Join(fields, ",") + `]},
      "columnLineage": {"_producer": "https://p.example", "_schemaURL": "https://s.example/cl", "fields": {` + strings.Join(lineage, ",") + `}}}`)
	input["inputFacets"] = json.RawMessage(`{"dataQualityMetrics": {"_producer": "https://p.example", "_schemaURL": "https://s.example/dq", "columnMetrics": {` +
		strings.Join(metrics, ",") + `}}}`)
	body, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkDecode(b, body)
}

func benchmarkDecode(b *testing.B, body []byte) {
	b.Helper()
	if _, err := Decode(bytes.NewReader(body), 0); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(body), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTaskEvent builds and encodes the COMPLETE event of a task, as
// the runtime does for every task attempt.
func BenchmarkTaskEvent(b *testing.B) {
	bld, err := NewBuilder("vigil", "")
	if err != nil {
		b.Fatal(err)
	}
	task := testTask()
	b.ReportAllocs()
	for b.Loop() {
		ev, err := bld.TaskEvent(EventComplete, task, t0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
}
