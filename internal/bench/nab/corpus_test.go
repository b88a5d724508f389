package nab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCorpus writes a NAB directory with the given data files (path below
// data/ to content) and labels, and NAB's profiles.
func writeCorpus(t *testing.T, files map[string]string, labels string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, "data", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "labels"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), []byte(labels), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "profiles.json"), []byte(profilesJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rows returns a data file of n five-minute rows from 2014-04-01 00:00.
func rows(n int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		b.WriteString(formatTime(1396310400000 + int64(i)*300000))
		b.WriteString(",1\n")
	}
	return b.String()
}

func TestLoad(t *testing.T) {
	dir := writeCorpus(t, map[string]string{
		"b/two.csv":  rows(20),
		"a/one.csv":  rows(10),
		"README.md":  "not data",
		"a/notes.md": "not data either",
	}, `{"a/one.csv": [], "b/two.csv": [["2014-04-01 00:20:00.000000", "2014-04-01 00:30:00.000000"]]}`)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 || c.Files[0].Name != "a/one.csv" || c.Files[1].Name != "b/two.csv" {
		t.Fatalf("files %v", c.Files)
	}
	if c.Rows() != 30 || c.Windows() != 1 || c.Files[1].Windows[0] != (Window{Start: 4, End: 6}) {
		t.Errorf("rows %d windows %d %v", c.Rows(), c.Windows(), c.Files[1].Windows)
	}
	if c.Profiles[ProfileStandard].FP != 0.11 {
		t.Errorf("profiles %v", c.Profiles)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		files  map[string]string
		labels string
		want   string
	}{
		{"no labels entry", map[string]string{"a/one.csv": rows(5)}, `{}`, "a/one.csv has no entry in labels"},
		{"labelled file missing", map[string]string{"a/one.csv": rows(5)}, `{"a/one.csv": [], "a/two.csv": []}`, "labelled files missing below"},
		{"bad data file", map[string]string{"a/one.csv": "timestamp,value\n2014-04-01 00:00:00,x\n"}, `{"a/one.csv": []}`, "one.csv: line 2: bad value"},
		{"window start not a row", map[string]string{"a/one.csv": rows(5)}, `{"a/one.csv": [["2014-04-01 00:01:00", "2014-04-01 00:10:00"]]}`, "window 0 starts at 2014-04-01 00:01:00, which is not a row timestamp"},
		{"window end not a row", map[string]string{"a/one.csv": rows(5)}, `{"a/one.csv": [["2014-04-01 00:00:00", "2014-04-02 00:00:00"]]}`, "window 0 ends at 2014-04-02 00:00:00"},
		{"bad labels", map[string]string{"a/one.csv": rows(5)}, `{"a/one.csv": 3}`, "combined_windows.json: want an object"},
		{"no data", map[string]string{}, `{}`, "no data files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCorpus(t, c.files, c.labels)
			if len(c.files) == 0 {
				if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestLoadNotANABDirectory(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is this a NAB directory") {
		t.Errorf("Load(empty dir) = %v", err)
	}
}

func TestNewFileMapsWindowsToFirstRows(t *testing.T) {
	// A duplicated timestamp maps to its first row, as NAB's list.index does.
	times := []int64{0, 1, 1, 2, 3}
	f, err := NewFile("a.csv", times, make([]float64, 5), []Limits{{Start: 1, End: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Windows[0] != (Window{Start: 1, End: 4}) {
		t.Errorf("window %v, want rows 1-4", f.Windows[0])
	}
	// Out-of-order timestamps can put two windows' rows in the wrong order.
	_, err = NewFile("b.csv", []int64{5, 6, 0, 1}, make([]float64, 4), []Limits{{Start: 0, End: 1}, {Start: 5, End: 6}})
	if err == nil || !strings.Contains(err.Error(), "overlaps or precedes") {
		t.Errorf("got %v, want an ordering error", err)
	}
}
