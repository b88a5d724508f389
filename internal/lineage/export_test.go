package lineage

import (
	"encoding/json"
	"testing"
)

// ValidateAgainstSpec checks ev against OpenLineage.json and each facet
// against its own schema. It is exported for the external tests of this
// package, which validate what the runtime really emits.
func ValidateAgainstSpec(t testing.TB, ev RunEvent) {
	t.Helper()
	s := loadSpec(t)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var inst any
	if err := json.Unmarshal(b, &inst); err != nil {
		t.Fatal(err)
	}
	s.validateEvent(t, inst)
	s.validateFacets(t, inst)
}
