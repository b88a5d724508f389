package transform

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

func TestCompileErrors(t *testing.T) {
	f := func(steps []Step, opts Options, want string) {
		t.Helper()
		_, err := Compile(steps, opts)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile = %v, want an error containing %q", err, want)
			return
		}
		if connector.Classify(err) != connector.ClassConfig {
			t.Errorf("Classify(%v) = %s, want config", err, connector.Classify(err))
		}
	}
	f([]Step{{Filter: "row.amount > 0.0"}, {Filter: "row.amount >"}}, Options{},
		`transform[1] (filter): compile "row.amount >": ERROR: <input>:1:13: Syntax error`)
	f([]Step{{Filter: "row.amount + 1"}}, Options{}, `transform[0] (filter): "row.amount + 1" returns int, want a bool`)
	f([]Step{{Filter: "1 + 1"}}, Options{}, `transform[0] (filter): "1 + 1" returns int, want a bool`)
	f([]Step{{Map: []Assignment{{"a", "row.x"}, {"b", "nosuch.x"}}}}, Options{}, `transform[0] (map b): compile "nosuch.x": ERROR: <input>:1:1: undeclared reference to 'nosuch'`)
	f([]Step{{Map: []Assignment{{"a", "[1, 2]"}}}}, Options{}, `transform[0] (map a): "[1, 2]" returns list(int), want a scalar`)
	f([]Step{{Map: []Assignment{{"a", "1"}, {"a", "2"}}}}, Options{}, `transform[0] (map a): output columns must be named and distinct`)
	f([]Step{{}}, Options{}, "transform[0]: want exactly one of filter, map or cast")
	f([]Step{{Filter: "true", Cast: map[string]connector.Type{"a": "int"}}}, Options{}, "transform[0]: want exactly one of filter, map or cast")
	f([]Step{{Cast: map[string]connector.Type{"a": "decimal"}}}, Options{}, `transform[0] (cast): column "a": unknown type "decimal"`)
	f(nil, Options{Policy: "retry"}, `unknown row error policy "retry"`)
	f(nil, Options{Policy: PolicyDeadLetter}, "policy dead_letter needs a dead-letter sink")
}

func TestFilterMapCast(t *testing.T) {
	c := mustCompile(t, []Step{
		{Filter: "row.amount > 0"},
		{Map: []Assignment{
			{"id", "row.id"},
			{"amount_usd", "row.amount * 1.1"},
			{"customer", "row.customer_id.upperAscii()"},
			{"day", "row.created_at"},
			{"big", "row.amount >= 100.0"},
			{"id_text", "string(row.id)"},
		}},
		{Cast: map[string]connector.Type{"id_text": connector.TypeInt, "big": connector.TypeString}},
	}, Options{})
	in := connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, 50.0, "c1"), order(2, -3.0, "c2"), order(3, 150.0, "c3")}}
	schema, rows, err := run(t, c, in, connector.Batch{Schema: ordersSchema})
	if err != nil {
		t.Fatal(err)
	}
	want := connector.Schema{{Name: "id", Type: connector.TypeInt}, {Name: "amount_usd", Type: connector.TypeFloat}, {Name: "customer", Type: connector.TypeString},
		{Name: "day", Type: connector.TypeTime}, {Name: "big", Type: connector.TypeString}, {Name: "id_text", Type: connector.TypeInt}}
	if !schema.Equal(want) {
		t.Errorf("schema = %s, want %s", schema, want)
	}
	fifty, oneFifty := 50.0, 150.0 // Variables, so the products are computed as the chain computes them.
	wantRows := [][]any{
		{int64(1), fifty * 1.1, "C1", order(1, nil, nil)[3], "false", int64(1)},
		{int64(3), oneFifty * 1.1, "C3", order(3, nil, nil)[3], "true", int64(3)},
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows = %v, want %v", rows, wantRows)
	}
	if got, want := c.Stats(), (Stats{In: 3, Out: 2, Filtered: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	// The input rows are untouched.
	if in.Rows[0][0] != int64(1) || len(in.Rows[0]) != 4 {
		t.Errorf("input row changed: %v", in.Rows[0])
	}
}

func TestRowFailurePolicies(t *testing.T) {
	steps := []Step{{Map: []Assignment{{"id", "row.id"}, {"half", "row.amount / 2.0"}}}, {Cast: map[string]connector.Type{"id": connector.TypeBool}}}
	batch := func() connector.Batch {
		return connector.Batch{Schema: ordersSchema, Rows: [][]any{
			order(1, 10.0, "a"), order(2, nil, "b"), order(0, 4.0, "c"), order(7, 3.0, "d"),
		}}
	}

	_, rows, err := run(t, mustCompile(t, steps, Options{}), batch())
	var f *Failure
	if !errors.As(err, &f) || connector.Classify(err) != connector.ClassData {
		t.Fatalf("fail policy: err = %v, want a data-class Failure", err)
	}
	if want := `transform[0] (map half): row 2: no such overload: _/_ (with amount = null)`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("fail policy: error %q, want it to start with %q", err, want)
	}
	if len(rows) != 0 {
		t.Errorf("fail policy emitted %v", rows)
	}

	c := mustCompile(t, steps, Options{Policy: PolicySkip})
	_, rows, err = run(t, c, batch())
	if err != nil || len(rows) != 2 {
		t.Fatalf("skip policy: rows %v, err %v", rows, err)
	}
	if got, want := c.Stats(), (Stats{In: 4, Out: 2, Skipped: 2}); got != want {
		t.Errorf("skip policy stats = %+v, want %+v", got, want)
	}

	var dead []*Failure
	c = mustCompile(t, steps, Options{Policy: PolicyDeadLetter, DeadLetter: func(_ context.Context, f *Failure) error {
		dead = append(dead, f)
		return nil
	}})
	_, rows, err = run(t, c, batch())
	if err != nil || len(rows) != 2 || len(dead) != 2 {
		t.Fatalf("dead-letter policy: rows %v, dead %v, err %v", rows, dead, err)
	}
	if dead[0].Step != "transform[0] (map half)" || dead[0].Row != 2 ||
		dead[0].Record != `{"id":2,"amount":null,"customer_id":"b","created_at":"2024-01-01T02:00:00Z"}` {
		t.Errorf("dead[0] = %+v", dead[0])
	}
	if dead[1].Step != "transform[1] (cast)" || dead[1].Row != 4 || dead[1].Err.Error() != `column "id": 7 is not a bool (want 0 or 1)` {
		t.Errorf("dead[1] = %+v (%v)", dead[1], dead[1].Err)
	}
	if got, want := c.Stats(), (Stats{In: 4, Out: 2, DeadLettered: 2}); got != want {
		t.Errorf("dead-letter stats = %+v, want %+v", got, want)
	}

	boom := errors.New("sink down")
	c = mustCompile(t, steps, Options{Policy: PolicyDeadLetter, DeadLetter: func(context.Context, *Failure) error { return boom }})
	if _, _, err := run(t, c, batch()); !errors.Is(err, boom) {
		t.Errorf("failing dead-letter sink: err = %v", err)
	}
}

func TestSourceRowErrors(t *testing.T) {
	bad := &connector.RowError{Source: "in.csv", Line: 3, Record: 2, Raw: "x,y", Err: errors.New(`"x" is not an int`)}
	c := mustCompile(t, nil, Options{})
	if err := c.OnRowError(context.Background())(bad); err != bad {
		t.Errorf("fail policy returned %v, want the row error", err)
	}
	var dead []*Failure
	c = mustCompile(t, nil, Options{Policy: PolicyDeadLetter, DeadLetter: func(_ context.Context, f *Failure) error {
		dead = append(dead, f)
		return nil
	}})
	if err := c.OnRowError(context.Background())(bad); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Step != "source" || dead[0].Row != 2 || dead[0].Record != "x,y" || !errors.Is(dead[0], bad) {
		t.Errorf("dead = %+v", dead)
	}
	if got := c.Stats(); got != (Stats{In: 1, DeadLettered: 1}) {
		t.Errorf("stats = %+v", got)
	}
}

func TestUnknownColumns(t *testing.T) {
	f := func(steps []Step, want string) {
		t.Helper()
		_, _, err := run(t, mustCompile(t, steps, Options{Policy: PolicySkip}), connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, 1.0, "a")}})
		if connector.Classify(err) != connector.ClassSchema || err.Error() != want {
			t.Errorf("err = %v, want schema error %q", err, want)
		}
	}
	f([]Step{{Filter: "row.amout > 0.0"}}, `transform[0] (filter): "row.amout > 0.0" reads column "amout", which is not among the input columns (id, amount, customer_id, created_at)`)
	f([]Step{{Map: []Assignment{{"a", "row.id"}}}, {Filter: `row["id"] > 0`}}, `transform[1] (filter): "row[\"id\"] > 0" reads column "id", which is not among the input columns (a)`)
	f([]Step{{Cast: map[string]connector.Type{"nope": connector.TypeInt}}}, `transform[0] (cast): column "nope" is not among the input columns (id, amount, customer_id, created_at)`)
	// A presence test names no column that must exist.
	_, rows, err := run(t, mustCompile(t, []Step{{Filter: "!has(row.nope)"}}, Options{}), connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, 1.0, "a")}})
	if err != nil || len(rows) != 1 {
		t.Errorf("has(): rows %v, err %v", rows, err)
	}
}

func TestSchemaChangeMidStream(t *testing.T) {
	c := mustCompile(t, nil, Options{})
	other := connector.Schema{{Name: "x", Type: connector.TypeInt}}
	_, _, err := run(t, c, connector.Batch{Schema: ordersSchema}, connector.Batch{Schema: other})
	if connector.Classify(err) != connector.ClassSchema {
		t.Errorf("err = %v, want schema", err)
	}
}

func TestDynamicOutputTypes(t *testing.T) {
	steps := []Step{{Map: []Assignment{
		{"id", "row.id"},
		{"maybe", "row.amount == null ? null : row.amount"},
		{"never", "null"},
		{"mixed", "row.id == 1 ? dyn(1) : (row.id == 2 ? dyn(2.5) : dyn('x'))"},
	}}}
	c := mustCompile(t, steps, Options{Policy: PolicySkip})
	var emitted []connector.Batch
	emit := func(b connector.Batch) error { emitted = append(emitted, b); return nil }
	ctx := context.Background()
	// The first batch tells nothing about maybe: it is held back.
	if err := c.Process(ctx, connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, nil, "a")}}, emit); err != nil {
		t.Fatal(err)
	}
	if len(emitted) != 0 {
		t.Fatalf("emitted %v before the types were known", emitted)
	}
	if err := c.Process(ctx, connector.Batch{Schema: ordersSchema, Rows: [][]any{order(2, 2.0, "b"), order(3, 3.0, "c")}}, emit); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx, emit); err != nil {
		t.Fatal(err)
	}
	if len(emitted) != 1 {
		t.Fatalf("emitted %d batches, want 1", len(emitted))
	}
	want := connector.Schema{{Name: "id", Type: connector.TypeInt}, {Name: "maybe", Type: connector.TypeFloat}, {Name: "never", Type: connector.TypeString}, {Name: "mixed", Type: connector.TypeInt}}
	if !emitted[0].Schema.Equal(want) {
		t.Errorf("schema = %s, want %s", emitted[0].Schema, want)
	}
	// Row 2's 2.5 does not fit the int column mixed: that row fails; row 3's
	// "x" does not either.
	wantRows := [][]any{{int64(1), nil, nil, int64(1)}}
	if !reflect.DeepEqual(emitted[0].Rows, wantRows) {
		t.Errorf("rows = %v, want %v", emitted[0].Rows, wantRows)
	}
	if got := c.Stats(); got != (Stats{In: 3, Out: 1, Skipped: 2}) {
		t.Errorf("stats = %+v", got)
	}
}

func TestFlushEmptyInput(t *testing.T) {
	c := mustCompile(t, []Step{{Filter: "row.amount > 1000.0"}, {Map: []Assignment{{"id", "row.id"}, {"n", "null"}}}}, Options{})
	var batches []connector.Batch
	emit := func(b connector.Batch) error { batches = append(batches, b); return nil }
	if err := c.Process(context.Background(), connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, 1.0, "a")}}, emit); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(context.Background(), emit); err != nil {
		t.Fatal(err)
	}
	want := connector.Schema{{Name: "id", Type: connector.TypeInt}, {Name: "n", Type: connector.TypeString}}
	if len(batches) != 1 || batches[0].Len() != 0 || !batches[0].Schema.Equal(want) {
		t.Errorf("batches = %+v, want one empty batch of %s", batches, want)
	}
	// A chain that saw no batch at all emits nothing.
	batches = nil
	if err := mustCompile(t, nil, Options{}).Flush(context.Background(), emit); err != nil || len(batches) != 0 {
		t.Errorf("Flush without input: %v, %v", batches, err)
	}
}

func TestFilterResults(t *testing.T) {
	c := mustCompile(t, []Step{{Filter: "row.amount == null ? null : (row.amount > 5.0 ? true : dyn('yes'))"}}, Options{Policy: PolicySkip})
	_, rows, err := run(t, c, connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, nil, "a"), order(2, 10.0, "b"), order(3, 1.0, "c")}})
	if err != nil || len(rows) != 1 || rows[0][0] != int64(2) {
		t.Errorf("rows %v, err %v", rows, err)
	}
	if got := c.Stats(); got != (Stats{In: 3, Out: 1, Filtered: 1, Skipped: 1}) {
		t.Errorf("stats = %+v: a null filter drops, a string fails", got)
	}
}

func TestExpressionsAreDeterministic(t *testing.T) {
	// No clock, no randomness: the environment has no now().
	if _, err := Compile([]Step{{Filter: "now() > row.created_at"}}, Options{}); err == nil {
		t.Error("now() compiled")
	}
	c := mustCompile(t, []Step{{Map: []Assignment{
		{"week", "row.created_at + duration('168h')"},
		{"len", "size(row.customer_id)"},
		{"greatest", "math.greatest(row.amount, 2.0)"},
	}}}, Options{})
	_, rows, err := run(t, c, connector.Batch{Schema: ordersSchema, Rows: [][]any{order(1, 1.0, "abc")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{time.Date(2024, 1, 8, 1, 0, 0, 0, time.UTC), int64(3), 2.0}; !reflect.DeepEqual(rows[0], want) {
		t.Errorf("row = %v, want %v", rows[0], want)
	}
}

func TestAssignmentsAndPolicy(t *testing.T) {
	got := Assignments(map[string]string{"b": "2", "a": "1"})
	if want := []Assignment{{"a", "1"}, {"b", "2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Assignments = %v", got)
	}
	for in, want := range map[string]Policy{"": PolicyFail, "skip": PolicySkip, "dead_letter": PolicyDeadLetter, "fail": PolicyFail} {
		if p, err := ParsePolicy(in); err != nil || p != want {
			t.Errorf("ParsePolicy(%q) = %q, %v", in, p, err)
		}
	}
}

func TestProcessStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mustCompile(t, nil, Options{}).Process(ctx, connector.Batch{Schema: ordersSchema}, func(connector.Batch) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Process = %v", err)
	}
}
