package state

import "testing"

// TestSchemaHistory checks the invariants migrate relies on.
func TestSchemaHistory(t *testing.T) {
	ms := schema()
	if len(ms) == 0 {
		t.Fatal("no migrations")
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %d has version %d, want %d: versions start at 1 and have no gaps", i, m.version, i+1)
		}
		if m.name == "" {
			t.Errorf("migration %d has no name", m.version)
		}
		for _, d := range []Dialect{DialectSQLite, DialectPostgres} {
			if m.statements(d) == "" {
				t.Errorf("migration %d has no SQL for %s", m.version, d)
			}
		}
		for d := range m.dialectSQL {
			if d != DialectSQLite && d != DialectPostgres {
				t.Errorf("migration %d has SQL for unknown dialect %q", m.version, d)
			}
		}
	}
}
