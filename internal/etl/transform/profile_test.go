package transform

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

func TestProfileSmall(t *testing.T) {
	p := NewProfiler()
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Add(connector.Batch{Schema: ordersSchema, Rows: [][]any{
		{int64(3), 1.5, "b", day},
		{int64(1), nil, "a", day.Add(time.Hour)},
	}})
	p.Add(connector.Batch{Schema: ordersSchema, Rows: [][]any{
		{int64(2), 4.5, nil, day},
		{int64(4), 1.5, "b", nil},
	}})
	if p.Rows() != 4 {
		t.Errorf("Rows = %d", p.Rows())
	}
	got := p.Columns()
	want := []ColumnProfile{
		{Name: "id", Type: connector.TypeInt, Count: 4, Distinct: 4, DistinctExact: true, Min: int64(1), Max: int64(4), Sum: 10,
			Quantiles: map[string]float64{"0.25": 1.75, "0.5": 2.5, "0.75": 3.25}},
		{Name: "amount", Type: connector.TypeFloat, Count: 3, Nulls: 1, Distinct: 2, DistinctExact: true, Min: 1.5, Max: 4.5, Sum: 7.5,
			Quantiles: map[string]float64{"0.25": 1.5, "0.5": 1.5, "0.75": 3}},
		{Name: "customer_id", Type: connector.TypeString, Count: 3, Nulls: 1, Distinct: 2, DistinctExact: true, Min: "a", Max: "b"},
		{Name: "created_at", Type: connector.TypeTime, Count: 3, Nulls: 1, Distinct: 2, DistinctExact: true, Min: day, Max: day.Add(time.Hour)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("profile =\n%+v\nwant\n%+v", got, want)
	}
}

func TestProfileLarge(t *testing.T) {
	const n = 300000
	rng := rand.New(rand.NewPCG(1, 2))
	schema := connector.Schema{{Name: "x", Type: connector.TypeFloat}, {Name: "k", Type: connector.TypeInt}}
	p := NewProfiler()
	values := make([]float64, 0, n)
	for start := 0; start < n; start += 1000 {
		b := connector.Batch{Schema: schema}
		for i := start; i < start+1000; i++ {
			x := rng.NormFloat64()*10 + 100
			values = append(values, x)
			b.Rows = append(b.Rows, []any{x, int64(i % 120000)})
		}
		p.Add(b)
	}
	slices.Sort(values)
	cols := p.Columns()
	x, k := cols[0], cols[1]
	for _, q := range []struct {
		key string
		q   float64
	}{{"0.25", 0.25}, {"0.5", 0.5}, {"0.75", 0.75}} {
		got := x.Quantiles[q.key]
		rank := float64(sort(values, got)) / n
		if math.Abs(rank-q.q) > 0.01 {
			t.Errorf("quantile %s = %.3f, at rank %.4f, want rank %.2f ± 0.01", q.key, got, rank, q.q)
		}
	}
	if x.Min != values[0] || x.Max != values[n-1] || x.DistinctExact {
		t.Errorf("x: min %v max %v exact %v", x.Min, x.Max, x.DistinctExact)
	}
	if math.Abs(float64(x.Distinct)-n)/n > 0.03 {
		t.Errorf("x distinct = %d, want about %d", x.Distinct, n)
	}
	if math.Abs(float64(k.Distinct)-120000)/120000 > 0.03 || k.DistinctExact {
		t.Errorf("k distinct = %d (exact %v), want about 120000", k.Distinct, k.DistinctExact)
	}
	// The same stream gives the same profile.
	again := NewProfiler()
	rng = rand.New(rand.NewPCG(1, 2))
	for start := 0; start < n; start += 1000 {
		b := connector.Batch{Schema: schema}
		for i := start; i < start+1000; i++ {
			b.Rows = append(b.Rows, []any{rng.NormFloat64()*10 + 100, int64(i % 120000)})
		}
		again.Add(b)
	}
	if !reflect.DeepEqual(again.Columns(), cols) {
		t.Error("two profiles of the same stream differ")
	}
}

// sort returns how many of the sorted values are at most v.
func sort(values []float64, v float64) int {
	i, _ := slices.BinarySearch(values, v)
	for i < len(values) && values[i] <= v {
		i++
	}
	return i
}

func TestProfileMixedTypes(t *testing.T) {
	p := NewProfiler()
	p.Add(connector.Batch{Schema: connector.Schema{{Name: "v", Type: connector.TypeInt}}, Rows: [][]any{{int64(5)}, {"x"}, {math.NaN()}}})
	p.Add(connector.Batch{Schema: connector.Schema{{Name: "w", Type: connector.TypeBool}, {Name: "v", Type: connector.TypeInt}}, Rows: [][]any{{true, int64(1)}}})
	cols := p.Columns()
	if len(cols) != 2 || cols[0].Count != 4 || cols[0].Min != int64(1) || cols[0].Max != int64(5) || cols[0].Distinct != 4 {
		t.Errorf("v = %+v", cols[0])
	}
	if cols[1].Name != "w" || cols[1].Count != 1 || cols[1].Min != nil || cols[1].Quantiles != nil {
		t.Errorf("w = %+v", cols[1])
	}
}

func TestHyperLogLogSmall(t *testing.T) {
	h := newHyperLogLog()
	for i := range uint64(1000) {
		h.add(mix64(i))
	}
	if got := h.estimate(); got < 980 || got > 1020 {
		t.Errorf("estimate of 1000 = %d", got)
	}
	if got := newHyperLogLog().estimate(); got != 0 {
		t.Errorf("empty estimate = %d", got)
	}
}
