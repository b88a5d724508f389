package connector

import (
	"context"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// orderGenerator returns settings of a generate source like the demo's.
func orderGenerator(extra map[string]any) map[string]any {
	s := map[string]any{
		"seed": 7,
		"rows": 2000,
		"columns": []any{
			map[string]any{"name": "id", "dist": "sequence"},
			map[string]any{"name": "amount", "dist": "lognormal", "mu": 3, "sigma": 0.5, "decimals": 2, "null": 0.1},
			map[string]any{"name": "qty", "dist": "uniform", "min": 1, "max": 5, "type": "int"},
			map[string]any{"name": "score", "dist": "normal", "mean": 10, "stddev": 2},
			map[string]any{"name": "status", "dist": "categorical", "values": []any{"paid", "refunded", "void"}, "weights": []any{0.7, 0.2, 0.1}},
			map[string]any{"name": "vip", "dist": "bool", "p": 0.25},
			map[string]any{"name": "created_at", "dist": "timestamp"},
			map[string]any{"name": "ref", "dist": "uuid"},
		},
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func TestGenerateIsDeterministic(t *testing.T) {
	r := NewRegistry(Options{})
	run := RunInfo{LogicalTime: ts(t, "2025-01-08T10:00:00Z")}
	_, a, _ := read(t, mustSource(t, r, "generate", orderGenerator(nil)), run)
	_, b, _ := read(t, mustSource(t, r, "generate", orderGenerator(map[string]any{"batch_size": 7})), run)
	if len(a) != 2000 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two reads differ (%d and %d rows)", len(a), len(b))
	}
	// The setting overrides the run's logical time.
	_, c, _ := read(t, mustSource(t, r, "generate", orderGenerator(map[string]any{"logical_time": "2025-01-08T10:00:00Z"})), RunInfo{})
	if !reflect.DeepEqual(a, c) {
		t.Error("logical_time setting gives other rows than the same run time")
	}
	_, d, _ := read(t, mustSource(t, r, "generate", orderGenerator(nil)), RunInfo{LogicalTime: ts(t, "2025-01-08T11:00:00Z")})
	if reflect.DeepEqual(a[:10], d[:10]) {
		t.Error("another logical time gives the same rows")
	}
	// Adding a column leaves the others as they were.
	more := orderGenerator(nil)
	more["columns"] = append(more["columns"].([]any), map[string]any{"name": "x", "dist": "bool"})
	_, e, _ := read(t, mustSource(t, r, "generate", more), run)
	for i := range a {
		if !reflect.DeepEqual(a[i], e[i][:len(a[i])]) {
			t.Fatalf("row %d changed when a column was added", i)
		}
	}
}

func TestGenerateDistributions(t *testing.T) {
	at := ts(t, "2025-01-08T10:00:00Z")
	schema, rows, _ := read(t, mustSource(t, NewRegistry(Options{}), "generate", orderGenerator(map[string]any{"rows": 20000})), RunInfo{LogicalTime: at})
	want := Schema{{"id", TypeInt}, {"amount", TypeFloat}, {"qty", TypeInt}, {"score", TypeFloat}, {"status", TypeString},
		{"vip", TypeBool}, {"created_at", TypeTime}, {"ref", TypeString}}
	if !schema.Equal(want) {
		t.Fatalf("schema = %s, want %s", schema, want)
	}
	n := float64(len(rows))
	var nulls, vip float64
	var sum, sumSq, logSum float64
	status := map[string]float64{}
	refs := map[string]bool{}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	prev := at
	for i, row := range rows {
		if row[0] != int64(i+1) {
			t.Fatalf("row %d: id %v", i, row[0])
		}
		if row[1] == nil {
			nulls++
		} else {
			amount := row[1].(float64)
			logSum += math.Log(amount)
			if math.Round(amount*100)/100 != amount {
				t.Fatalf("amount %v has more than 2 decimals", amount)
			}
		}
		if q := row[2].(int64); q < 1 || q > 5 {
			t.Fatalf("qty %d out of [1, 5]", q)
		}
		s := row[3].(float64)
		sum += s
		sumSq += s * s
		status[row[4].(string)]++
		if row[5].(bool) {
			vip++
		}
		c := row[6].(time.Time)
		if c.Before(prev) || !c.Before(at.Add(time.Hour)) {
			t.Fatalf("created_at %v out of order or out of the interval", c)
		}
		prev = c
		ref := row[7].(string)
		if !uuid.MatchString(ref) || refs[ref] {
			t.Fatalf("ref %q is not a fresh v4 uuid", ref)
		}
		refs[ref] = true
	}
	mean := sum / n
	std := math.Sqrt(sumSq/n - mean*mean)
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.3f, want %.3f ± %.3f", name, got, want, tol)
		}
	}
	near("null fraction", nulls/n, 0.1, 0.01)
	near("normal mean", mean, 10, 0.05)
	near("normal stddev", std, 2, 0.05)
	near("lognormal mean of logs", logSum/(n-nulls), 3, 0.02)
	near("paid share", status["paid"]/n, 0.7, 0.015)
	near("void share", status["void"]/n, 0.1, 0.01)
	near("vip share", vip/n, 0.25, 0.015)
}

func TestGenerateVolume(t *testing.T) {
	src := mustSource(t, NewRegistry(Options{}), "generate", orderGenerator(map[string]any{
		"rows": 1000, "seasonality": map[string]any{"daily": 0.5, "weekly": 0.2}, "growth": 0.1, "start": "2025-01-01T00:00:00Z",
	})).(*generateSource)
	day := ts(t, "2025-01-08T00:00:00Z") // A Wednesday, the weekly peak.
	var total int64
	for h := range 24 {
		total += src.Count(day.Add(time.Duration(h) * time.Hour))
	}
	// Over a whole day the daily wave averages out; the weekly factor at a
	// Wednesday is near its peak, 1 + 0.2·cos(≈0).
	growth := math.Pow(1.1, 7.5)
	want := 24 * 1000 * growth * 1.19
	if math.Abs(float64(total)-want)/want > 0.02 {
		t.Errorf("rows on Wednesday = %d, want about %.0f", total, want)
	}
	peak, trough := src.Count(day.Add(14*time.Hour)), src.Count(day.Add(2*time.Hour))
	if ratio := float64(peak) / float64(trough); ratio < 2.5 || ratio > 3.1 {
		t.Errorf("peak/trough = %d/%d = %.2f, want about 1.5/0.5 = 3", peak, trough, ratio)
	}
	sunday := src.Count(ts(t, "2025-01-12T14:00:00Z")) / 1
	if float64(sunday) >= float64(peak)*math.Pow(1.1, 4)*0.8 {
		t.Errorf("Sunday at peak hour %d is not below Wednesday's %d by the weekly wave", sunday, peak)
	}
	// A day-long interval covers the daily wave once.
	daily := mustSource(t, NewRegistry(Options{}), "generate", orderGenerator(map[string]any{
		"rows": 1000, "interval": "1d", "seasonality": map[string]any{"daily": 0.9},
	})).(*generateSource)
	if got := daily.Count(day); got != 1000 {
		t.Errorf("day-long run = %d rows, want 1000", got)
	}
	noisy := mustSource(t, NewRegistry(Options{}), "generate", orderGenerator(map[string]any{"rows": 1000, "noise": 0.1})).(*generateSource)
	a, b := noisy.Count(day), noisy.Count(day.Add(time.Hour))
	if a == b || a == 1000 || a != noisy.Count(day) {
		t.Errorf("noisy counts %d, %d: want varying but repeatable", a, b)
	}
}

func TestGenerateEmptyRunAndErrors(t *testing.T) {
	r := NewRegistry(Options{})
	schema, rows, _ := read(t, mustSource(t, r, "generate", orderGenerator(map[string]any{"rows": 0})), RunInfo{LogicalTime: ts(t, "2025-01-01T00:00:00Z")})
	if len(rows) != 0 || len(schema) != 8 {
		t.Errorf("empty run: schema %s, %d rows", schema, len(rows))
	}
	err := mustSource(t, r, "generate", orderGenerator(nil)).Read(context.Background(), func(Batch) error { return nil })
	if Classify(err) != ClassConfig || !strings.Contains(err.Error(), "no logical time") {
		t.Errorf("Read without a logical time = %v", err)
	}
	f := func(settings map[string]any, want string) {
		t.Helper()
		_, err := r.NewSource("generate", settings)
		if err == nil || err.Error() != want {
			t.Errorf("NewSource = %v, want %q", err, want)
		}
	}
	f(map[string]any{"rows": 1}, `generate source: key "columns": is required`)
	f(orderGenerator(map[string]any{"growth": 0.1}), `generate source: key "start": is required with growth: it is when growth starts`)
	f(orderGenerator(map[string]any{"seasonality": map[string]any{"daily": 1.5}}), `generate source: key "seasonality.daily": want an amplitude in [0, 1), got 1.5`)
	col := func(c map[string]any) map[string]any { return map[string]any{"rows": 1, "columns": []any{c}} }
	f(col(map[string]any{"name": "x"}), `generate source: key "columns[0].dist": is required (sequence, uniform, normal, lognormal, categorical, bool, timestamp or uuid)`)
	f(col(map[string]any{"name": "x", "dist": "zipf"}), `generate source: key "columns[0].dist": unknown distribution "zipf" (want sequence, uniform, normal, lognormal, categorical, bool, timestamp or uuid)`)
	f(col(map[string]any{"name": "x", "dist": "uniform", "min": 2}), `generate source: key "columns[0].min": uniform needs min and max, with min <= max`)
	f(col(map[string]any{"name": "x", "dist": "timestamp", "type": "int"}), `generate source: key "columns[0].type": dist timestamp makes [time], not int`)
	f(col(map[string]any{"name": "x", "dist": "categorical", "values": []any{"1", "x"}, "type": "int"}), `generate source: key "columns[0].values[1]": "x" is not an int`)
	f(col(map[string]any{"name": "x", "dist": "categorical", "values": []any{"a"}, "weights": []any{1, 2}}), `generate source: key "columns[0].weights": has 2 weights for 1 values`)
	f(col(map[string]any{"name": "x", "dist": "bool", "null": 2}), `generate source: key "columns[0].null": want a fraction in [0, 1], got 2`)
	f(col(map[string]any{"name": "x", "dist": "sequence", "null": 0.1}), `generate source: key "columns[0].null": does not apply to dist sequence`)
	f(col(map[string]any{"name": "x", "dist": "bool", "sigma": 1, "bogus": 1}), `generate source: unknown key "columns[0].bogus" (known keys: decimals, dist, max, mean, min, mu, name, null, p, sigma, start, stddev, type, values, weights)`)
}

func TestUUID4(t *testing.T) {
	if got, want := uuid4(0, 0), "00000000-0000-4000-8000-000000000000"; got != want {
		t.Errorf("uuid4(0, 0) = %s, want %s", got, want)
	}
	if got, want := uuid4(math.MaxUint64, math.MaxUint64), "ffffffff-ffff-4fff-bfff-ffffffffffff"; got != want {
		t.Errorf("uuid4(max, max) = %s, want %s", got, want)
	}
}
