package nab

import (
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	times, values, err := ParseCSV(strings.NewReader("timestamp,value\n2014-04-01 00:00:00,1.5\n2014-04-01 00:05:00,-2e3\n2014-04-01 00:10:00,NaN\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 3 || times[0] != 1396310400000 || times[1]-times[0] != 300000 || values[0] != 1.5 || values[1] != -2000 || values[2] == values[2] {
		t.Errorf("got %v %v", times, values)
	}
}

func TestParseCSVErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty file"},
		{"time,value\n", `line 1: header is "time,value"`},
		{"timestamp,value,extra\n", "line 1: header"},
		{"timestamp,value\n", "no rows"},
		{"timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00\n", "line 3: 1 fields, want 2"},
		{"timestamp,value\n2014-04-01,1\n", `line 2: bad timestamp "2014-04-01"`},
		{"timestamp,value\n2014-04-01 00:00:00,one\n", `line 2: bad value "one"`},
		{"timestamp,value\n2014-04-01 00:00:00,\"1\n", "line 2"},
	} {
		_, _, err := ParseCSV(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseCSV(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestParseLabels(t *testing.T) {
	in := `{"a/x.csv": [["2014-04-02 00:00:00.000000", "2014-04-02 01:00:00.000000"], ["2014-04-01 00:00:00.000000", "2014-04-01 01:00:00.000000"]], "a/y.csv": []}`
	got, err := ParseLabels(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["a/y.csv"]) != 0 || len(got["a/x.csv"]) != 2 {
		t.Fatalf("got %v", got)
	}
	if w := got["a/x.csv"]; w[0].Start != 1396310400000 || w[0].End != 1396314000000 || w[1].Start != 1396396800000 {
		t.Errorf("windows not parsed or not sorted: %v", w)
	}
}

func TestParseLabelsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, "want an object"},
		{`null`, "got null"},
		{`[]`, "want an object"},
		{`{"a.csv": [["2014-04-01 00:00:00"]]}`, "window 0 has 1 timestamps"},
		{`{"a.csv": [["x", "2014-04-01 00:00:00"]]}`, "window 0 start: bad timestamp"},
		{`{"a.csv": [["2014-04-01 01:00:00", "2014-04-01 00:00:00"]]}`, "ends (2014-04-01 00:00:00) before it starts"},
		{`{"a.csv": [["2014-04-01 00:00:00", "2014-04-01 02:00:00"], ["2014-04-01 01:00:00", "2014-04-01 03:00:00"]]}`, "overlap"},
		{`{"": []}`, "empty file name"},
		{`{"a.csv": []} {}`, "trailing data"},
	} {
		_, err := ParseLabels(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseLabels(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

const profilesJSON = `{
 "standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}},
 "reward_low_FP_rate": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0}},
 "reward_low_FN_rate": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0}}
}`

func TestParseProfiles(t *testing.T) {
	p, err := ParseProfiles(strings.NewReader(profilesJSON))
	if err != nil {
		t.Fatal(err)
	}
	if p[ProfileLowFP].FP != 0.22 || p[ProfileLowFN].FN != 2 || p[ProfileStandard] != (CostMatrix{TP: 1, FP: 0.11, FN: 1, TN: 1}) {
		t.Errorf("got %+v", p)
	}
}

func TestParseProfilesErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{}`, `profile "standard" is missing`},
		{`{"standard": {}}`, "no CostMatrix"},
		{`{"standard": {"CostMatrix": {"tpWeight": 1, "fnWeight": 1}}}`, "has no fpWeight"},
		{`{"standard": {"CostMatrix": {"tpWeight": 1, "fnWeight": -1, "fpWeight": 0.1}}}`, "fnWeight is -1"},
		{`{"standard": {"CostMatrix": {"tpWeight": 0, "fnWeight": 1, "fpWeight": 0.1}}}`, "tpWeight is 0"},
		{`{"standard": []}`, "want an object"},
	} {
		_, err := ParseProfiles(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseProfiles(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("timestamp,value\n2014-04-01 00:00:00,1.5\n2014-04-01 00:05:00,2\n")
	f.Add("timestamp,value\n2015-02-26 21:42:53,104\n")
	f.Add("\ufefftimestamp,value\r\n2014-04-01 00:00:00.5,-Inf\r\n")
	f.Add("timestamp,value\n\"2014-04-01 00:00:00\",\"1\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		times, values, err := ParseCSV(strings.NewReader(in))
		if err != nil {
			if times != nil || values != nil {
				t.Fatal("rows returned with an error")
			}
			return
		}
		if len(times) == 0 || len(times) != len(values) {
			t.Fatalf("%d timestamps and %d values without an error", len(times), len(values))
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	f.Add(`{"a/x.csv": [["2014-04-01 00:00:00.000000", "2014-04-01 01:00:00.000000"]], "a/y.csv": []}`)
	f.Add(`{"a.csv": [["2014-04-01 00:00:00", "2014-04-01 02:00:00"], ["2014-04-01 01:00:00", "2014-04-01 03:00:00"]]}`)
	f.Add(`{"a.csv": null}`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseLabels(strings.NewReader(in))
		if err != nil {
			return
		}
		for name, ws := range got {
			for i, w := range ws {
				if w.End < w.Start || i > 0 && w.Start <= ws[i-1].End {
					t.Fatalf("%s: invalid windows accepted: %v", name, ws)
				}
			}
		}
	})
}

func FuzzParseProfiles(f *testing.F) {
	f.Add(profilesJSON)
	f.Add(`{"standard": {"CostMatrix": {"tpWeight": 1}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseProfiles(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, name := range ProfileNames {
			cm, ok := got[name]
			if !ok || !(cm.TP > 0) || cm.FP < 0 || cm.FN < 0 {
				t.Fatalf("profile %s accepted as %+v", name, cm)
			}
		}
	})
}
