package m4

import (
	"strings"
	"testing"
)

// row returns a CSV row: a quoted id and the values, quoted.
func row(id string, values ...string) string {
	var b strings.Builder
	b.WriteString(`"` + id + `"`)
	for _, v := range values {
		if v == "" {
			b.WriteString(",")
		} else {
			b.WriteString(`,"` + v + `"`)
		}
	}
	return b.String() + "\n"
}

// nums returns n numeric strings: 1.5, 11.5, 111.5, 1.5, …
func nums(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("1", 1+i%3) + ".5"
	}
	return out
}

// testRow is a test file row with the full horizon.
func testRow(id string) string { return row(id, nums(Horizon)...) }

const header = `"V1","V2","V3"` + "\n"

func TestLoad(t *testing.T) {
	padded := append(nums(30), "", "", "")
	dir := writeFiles(t, map[string]string{
		TrainFile:   header + row("H1", padded...) + row("H3", nums(40)...),
		TestFile:    header + testRow("H1") + testRow("H3"),
		OfficialCSV: "id,sMAPE,MASE,OWA\nsNaive,13.912,1.193,0.627\n238,8.913,0.801,0.41\n",
	})
	ds, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Series) != 2 || ds.Series[0].ID != "H1" || len(ds.Series[0].Train) != 30 || len(ds.Series[1].Train) != 40 {
		t.Fatalf("series %+v", ds.Series)
	}
	if ds.Series[0].Train[1] != 11.5 || len(ds.Series[0].Test) != Horizon {
		t.Fatalf("H1: train[1] = %g, %d test values", ds.Series[0].Train[1], len(ds.Series[0].Test))
	}
	o, ok := ds.OfficialResult("sNaive")
	if !ok || o.SMAPE != 13.912 || o.MASE != 1.193 || o.OWA != 0.627 {
		t.Fatalf("official sNaive %+v, %v", o, ok)
	}
	if _, ok := ds.OfficialResult("nobody"); ok {
		t.Fatal("found an official result for an unknown method")
	}
}

func TestLoadWithoutOfficialResults(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		TrainFile: header + row("H1", nums(30)...),
		TestFile:  header + testRow("H1"),
	})
	ds, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Official) != 0 {
		t.Fatalf("official results %v from nowhere", ds.Official)
	}
}

func TestLoadErrors(t *testing.T) {
	good := header + row("H1", nums(30)...)
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no train file", map[string]string{TestFile: header + testRow("H1")}, TrainFile},
		{"no test file", map[string]string{TrainFile: good}, TestFile},
		{"empty train file", map[string]string{TrainFile: "", TestFile: header + testRow("H1")}, "empty file"},
		{"header only", map[string]string{TrainFile: header, TestFile: header + testRow("H1")}, "no series"},
		{"not a number", map[string]string{TrainFile: header + row("H1", append(nums(29), "x")...), TestFile: header + testRow("H1")}, `"x" is not a finite number`},
		{"NaN", map[string]string{TrainFile: header + row("H1", append(nums(29), "NaN")...), TestFile: header + testRow("H1")}, "not a finite number"},
		{"gap inside", map[string]string{TrainFile: header + row("H1", append(append(nums(10), ""), nums(20)...)...), TestFile: header + testRow("H1")}, "empty cell between values"},
		{"no values", map[string]string{TrainFile: header + row("H1", "", ""), TestFile: header + testRow("H1")}, "has no values"},
		{"empty id", map[string]string{TrainFile: header + row("", nums(30)...), TestFile: header + testRow("H1")}, "empty series id"},
		{"duplicate id", map[string]string{TrainFile: good + row("H1", nums(30)...), TestFile: header + testRow("H1") + testRow("H3")}, "duplicate series id"},
		{"count mismatch", map[string]string{TrainFile: good, TestFile: header + testRow("H1") + testRow("H3")}, "has 1 series"},
		{"id mismatch", map[string]string{TrainFile: good, TestFile: header + testRow("H3")}, `"H1" in`},
		{"short test", map[string]string{TrainFile: good, TestFile: header + row("H1", nums(47)...)}, "47 test values"},
		{"short train", map[string]string{TrainFile: header + row("H1", nums(24)...), TestFile: header + testRow("H1")}, "MASE needs more than 24"},
		{"bad quoting", map[string]string{TrainFile: header + `"H1,"1"` + "\n", TestFile: header + testRow("H1")}, TrainFile},
		{"bad official", map[string]string{TrainFile: good, TestFile: header + testRow("H1"), OfficialCSV: "id,a,b,c\nx,1,2,z\n"}, `"z" is not a number`},
	} {
		_, err := Load(writeFiles(t, c.files))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
