package iforest

import (
	"math"
	"reflect"
	"testing"
)

func TestGenerate(t *testing.T) {
	cfg := DataConfig{Points: 2000, Dims: 5, AnomalyFraction: 0.02, Seed: 3}
	a, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same configuration gave different data sets")
	}
	cfg.Seed++
	if c, _ := Generate(cfg); reflect.DeepEqual(a.Rows, c.Rows) {
		t.Fatal("another seed gave the same rows")
	}
	if len(a.Rows) != 2000 || len(a.Kinds) != 2000 {
		t.Fatalf("%d rows, %d kinds", len(a.Rows), len(a.Kinds))
	}
	var count [4]int
	for i, k := range a.Kinds {
		count[k]++
		if len(a.Rows[i]) != 5 {
			t.Fatalf("row %d has %d features", i, len(a.Rows[i]))
		}
		for _, v := range a.Rows[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("row %d: %v", i, a.Rows[i])
			}
		}
	}
	if want := [4]int{1960, 16, 16, 8}; count != want {
		t.Errorf("rows by kind %v, want %v", count, want)
	}
	labels := a.Labels()
	for i, l := range labels {
		if l != (a.Kinds[i] != Normal) {
			t.Fatalf("row %d: label %v, kind %v", i, l, a.Kinds[i])
		}
	}
	// Anomalies are interleaved with normal rows, not appended.
	if labels[len(labels)-1] && labels[len(labels)-2] && labels[len(labels)-3] {
		t.Error("the last rows are all anomalies: the rows were not shuffled")
	}
}

func TestGenerateRejects(t *testing.T) {
	for _, cfg := range []DataConfig{
		{Points: 5, Dims: 8, AnomalyFraction: 0.1},
		{Points: 1000, Dims: 2, AnomalyFraction: 0.1},
		{Points: 1000, Dims: 8, AnomalyFraction: 0},
		{Points: 1000, Dims: 8, AnomalyFraction: 0.6},
		{Points: 1000, Dims: 8, AnomalyFraction: math.NaN()},
	} {
		if _, err := Generate(cfg); err == nil {
			t.Errorf("Generate(%+v): no error", cfg)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Normal: "normal", Far: "far", OffStructure: "off-structure", Cluster: "cluster", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
