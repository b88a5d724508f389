package m4

import (
	"math"
	"strings"
	"testing"
)

func FuzzParseSeries(f *testing.F) {
	f.Add(header + row("H1", append(nums(5), "", "")...) + row("H3", nums(3)...))
	f.Add(header + `"H1","1e3","-2.5","0x1p-2"` + "\n")
	f.Add(header + `"H1",,"1"` + "\n")
	f.Add(header + `"H1","1","NaN","Inf"` + "\n")
	f.Add(`"a"` + "\n" + `"H1","1"` + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseSeries(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatal("no error and no series")
		}
		seen := map[string]bool{}
		for _, s := range got {
			if s.id == "" || seen[s.id] || len(s.values) == 0 {
				t.Fatalf("bad series %+v", s)
			}
			seen[s.id] = true
			for _, v := range s.values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("series %q holds %g", s.id, v)
				}
			}
		}
	})
}
