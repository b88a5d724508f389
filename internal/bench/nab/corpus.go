package nab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Window is a labelled anomaly window as row indices of its file, both
// inclusive.
type Window struct {
	Start, End int
}

// File is one data file of the corpus with its labelled windows.
type File struct {
	// Name is the path below data/ with forward slashes, as the labels name
	// it: "realTweets/Twitter_volume_AAPL.csv".
	Name string
	// Times are the row timestamps in milliseconds since the Unix epoch.
	Times []int64
	// Values are the row values.
	Values []float64
	// Windows are the labelled anomaly windows, ordered and disjoint.
	Windows []Window
}

// NewFile returns a file whose windows are mapped from timestamp limits to
// rows the way NAB does it: a window starts at the first row carrying its
// start timestamp and ends at the first row carrying its end timestamp. A
// limit that is not a row timestamp is an error, as are windows that are not
// in row order or overlap.
func NewFile(name string, times []int64, values []float64, limits []Limits) (*File, error) {
	if len(times) != len(values) {
		return nil, fmt.Errorf("%s: %d timestamps but %d values", name, len(times), len(values))
	}
	first := make(map[int64]int, len(times))
	for i := len(times) - 1; i >= 0; i-- {
		first[times[i]] = i
	}
	f := &File{Name: name, Times: times, Values: values}
	for i, l := range limits {
		s, ok := first[l.Start]
		if !ok {
			return nil, fmt.Errorf("%s: window %d starts at %s, which is not a row timestamp", name, i, formatTime(l.Start))
		}
		e, ok := first[l.End]
		if !ok {
			return nil, fmt.Errorf("%s: window %d ends at %s, which is not a row timestamp", name, i, formatTime(l.End))
		}
		if e < s {
			return nil, fmt.Errorf("%s: window %d ends at row %d before it starts at row %d", name, i, e, s)
		}
		if n := len(f.Windows); n > 0 && s <= f.Windows[n-1].End {
			return nil, fmt.Errorf("%s: window %d (rows %d-%d) overlaps or precedes the window before it", name, i, s, e)
		}
		f.Windows = append(f.Windows, Window{Start: s, End: e})
	}
	return f, nil
}

// Corpus is a set of labelled data files and the application profiles they
// are scored with.
type Corpus struct {
	// Files are ordered by name.
	Files []*File
	// Profiles maps a profile name to its cost matrix; it holds at least the
	// three NAB profiles.
	Profiles map[string]CostMatrix
}

// Rows returns the number of rows in all files.
func (c *Corpus) Rows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Values)
	}
	return n
}

// Windows returns the number of labelled windows in all files.
func (c *Corpus) Windows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Windows)
	}
	return n
}

// Load reads a corpus in NAB's layout below dir: data/<category>/<file>.csv,
// labels/combined_windows.json and profiles.json. Every data file must have
// an entry in the labels (possibly without windows) and every labelled file
// must exist. Other files below data/ (a README, say) are ignored.
func Load(dir string) (*Corpus, error) {
	labels, err := readWith(filepath.Join(dir, "labels", "combined_windows.json"), ParseLabels)
	if err != nil {
		return nil, err
	}
	profiles, err := readWith(filepath.Join(dir, "profiles.json"), ParseProfiles)
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	categories, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("read NAB data directory: %w", err)
	}
	c := &Corpus{Profiles: profiles}
	seen := make(map[string]bool, len(labels))
	for _, cat := range categories {
		if !cat.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dataDir, cat.Name()))
		if err != nil {
			return nil, fmt.Errorf("read NAB data directory: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".csv") {
				continue
			}
			name := path.Join(cat.Name(), e.Name())
			limits, ok := labels[name]
			if !ok {
				return nil, fmt.Errorf("data file %s has no entry in labels/combined_windows.json", name)
			}
			seen[name] = true
			f, err := loadFile(filepath.Join(dataDir, cat.Name(), e.Name()), name, limits)
			if err != nil {
				return nil, err
			}
			c.Files = append(c.Files, f)
		}
	}
	var missing []string
	for name := range labels {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("labelled files missing below %s: %s", dataDir, strings.Join(missing, ", "))
	}
	if len(c.Files) == 0 {
		return nil, fmt.Errorf("no data files below %s", dataDir)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	return c, nil
}

func loadFile(p, name string, limits []Limits) (*File, error) {
	r, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	times, values, err := ParseCSV(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return NewFile(name, times, values, limits)
}

// readWith opens p and parses it with parse, naming p in any error.
func readWith[T any](p string, parse func(r io.Reader) (T, error)) (T, error) {
	var zero T
	r, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return zero, fmt.Errorf("%s does not exist: is this a NAB directory (data/, labels/, profiles.json)?", p)
	}
	if err != nil {
		return zero, err
	}
	defer r.Close()
	v, err := parse(r)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", p, err)
	}
	return v, nil
}
