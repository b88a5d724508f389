package rca

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCase writes one case in the RCAEval layout: 6 services × 3 metrics,
// the cause's cpu (or its db's memory) jumping after the onset.
func writeCase(t *testing.T, dir, cause, fault string, n int, seed uint64) {
	t.Helper()
	d := filepath.Join(dir, cause+"-"+fault, fmt.Sprint(n))
	if err := os.MkdirAll(d, 0o750); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	svcs := []string{"carts", "orders", "orders-db", "catalogue", "payment", "user"}
	var cols []string
	for _, s := range svcs {
		for _, m := range []string{"cpu", "mem", "lat_90"} {
			cols = append(cols, s+"_"+m)
		}
	}
	base := make([]float64, len(cols))
	for i := range base {
		base[i] = 10 + 10*r.Float64()
	}
	write := func(name string, rows int, anomalous bool) {
		var b strings.Builder
		b.WriteString("time," + strings.Join(cols, ",") + "\n")
		for i := range rows {
			fmt.Fprintf(&b, "%d", 1700000000+i)
			for j, c := range cols {
				v := base[j] + r.NormFloat64()
				if anomalous && strings.HasPrefix(c, cause) && (strings.HasSuffix(c, "_cpu") || strings.HasSuffix(c, "_mem")) {
					v += 10
				}
				fmt.Fprintf(&b, ",%.3f", v)
			}
			b.WriteString("\n")
		}
		if err := os.WriteFile(filepath.Join(d, name), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("normal.csv", 120, false)
	write("anomalous.csv", 60, true)
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	seed := uint64(1)
	for _, cause := range []string{"carts", "orders", "catalogue", "payment"} {
		for _, fault := range []string{"cpu", "mem"} {
			for n := 1; n <= 2; n++ {
				writeCase(t, dir, cause, fault, n, seed)
				seed++
			}
		}
	}
	rep, err := Run(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases != 16 || rep.AC1 < 0.9 || rep.Avg5 < rep.AC1*0.9 || len(rep.Failed) != 0 {
		t.Fatalf("%+v", rep)
	}
}

func TestScoring(t *testing.T) {
	if hit([]string{"a", "b", "c"}, "b", 1) != 0 || hit([]string{"a", "b", "c"}, "b", 2) != 1 || hit(nil, "b", 5) != 0 {
		t.Fatal("AC@k of one case")
	}
	if Component("orders-db_mem") != "orders" || Component("catalogue_lat_90") != "catalogue" {
		t.Fatal("components")
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct{ csv, want string }{
		{"", "header"},
		{"ts,a_x\n1,2\n", "first column must be time"},
		{"time,a_x\n1,zz\n", `line 2, column a_x: "zz" is not a number`},
		{"time,a_x\n1,2,3\n", "wrong number of fields"},
	} {
		_, err := parseMetrics(strings.NewReader(c.csv), "f.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.csv, err, c.want)
		}
	}
	if _, err := Run(t.TempDir(), nil); err == nil {
		t.Fatal("an empty folder gave a report")
	}
}

func FuzzReadMetrics(f *testing.F) {
	f.Add("time,a_x,b_y\n1,2,3\n2,,4\n")
	f.Add("time\n")
	f.Add("\ufefftime,a\n1,1e309\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMetrics(strings.NewReader(s), "f.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv: ") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		// What parsed is bounded by the input: no more columns than the
		// header has, no more values than rows.
		lines := strings.Count(s, "\n") + 1
		if len(m) > strings.Count(s, ",")+1 {
			t.Fatalf("%d columns from %q", len(m), s)
		}
		for k, v := range m {
			if len(v) > lines {
				t.Fatalf("column %q has %d values from %d lines", k, len(v), lines)
			}
		}
	})
}
