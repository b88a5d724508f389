package m4

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The hourly subset's constants: the forecast horizon and the season length
// used by MASE and Naive2.
const (
	Horizon   = 48
	Frequency = 24
)

// File names inside a dataset directory.
const (
	TrainFile   = "Hourly-train.csv"
	TestFile    = "Hourly-test.csv"
	OfficialCSV = "official-results.csv"
)

// Series is one M4 series: its id, the training values and the test values
// that follow them.
type Series struct {
	// ID is the series' name, such as "H1".
	ID string
	// Train holds the history the models see, Test the Horizon values
	// that follow it, which they are scored on.
	Train, Test []float64
}

// Dataset is an M4 Hourly directory: the series, in file order, and the
// official results when the directory holds them.
type Dataset struct {
	// Series are the series in file order.
	Series []Series
	// Official are the rows of official-results.csv, if it exists.
	Official []Official
}

// Official is one row of official-results.csv: a method (a submission id or a
// benchmark's name) and its scores on the full hourly set.
type Official struct {
	// Method is a submission's id or a benchmark's name, such as "sNaive".
	Method string
	// SMAPE, MASE and OWA are the method's scores.
	SMAPE, MASE, OWA float64
}

// Load reads the directory layout of the M4 Hourly data: Hourly-train.csv and
// Hourly-test.csv (a header row, then one row per series: a quoted id and its
// values, train rows padded with empty cells), and, when present,
// official-results.csv. Every test row must match a train row of the same id
// and hold exactly Horizon values.
func Load(dir string) (*Dataset, error) {
	train, err := readSeriesFile(filepath.Join(dir, TrainFile))
	if err != nil {
		return nil, err
	}
	test, err := readSeriesFile(filepath.Join(dir, TestFile))
	if err != nil {
		return nil, err
	}
	if len(train) != len(test) {
		return nil, fmt.Errorf("m4: %s has %d series, %s has %d", TrainFile, len(train), TestFile, len(test))
	}
	ds := &Dataset{Series: make([]Series, len(train))}
	for i := range train {
		tr, te := train[i], test[i]
		if tr.id != te.id {
			return nil, fmt.Errorf("m4: series %d is %q in %s but %q in %s", i+1, tr.id, TrainFile, te.id, TestFile)
		}
		if len(te.values) != Horizon {
			return nil, fmt.Errorf("m4: %s: series %q has %d test values, want %d", TestFile, te.id, len(te.values), Horizon)
		}
		if len(tr.values) <= Frequency {
			return nil, fmt.Errorf("m4: %s: series %q has %d training values; MASE needs more than %d", TrainFile, tr.id, len(tr.values), Frequency)
		}
		ds.Series[i] = Series{ID: tr.id, Train: tr.values, Test: te.values}
	}
	ds.Official, err = readOfficial(filepath.Join(dir, OfficialCSV))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return ds, nil
}

type rawSeries struct {
	id     string
	values []float64
}

// readSeriesFile reads one M4 series file.
func readSeriesFile(path string) ([]rawSeries, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("m4: %w", err)
	}
	defer f.Close()
	return parseSeries(f, path)
}

// parseSeries parses an M4 series file: a header row, then per row a series
// id and its values. Trailing empty cells are padding; an empty cell between
// values, a value that is not a finite number, a duplicate id or a row
// without values is an error. name labels the errors.
func parseSeries(in io.Reader, name string) ([]rawSeries, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("m4: %s: empty file", name)
		}
		return nil, fmt.Errorf("m4: %s: %w", name, err)
	}
	if len(header) < 2 {
		return nil, fmt.Errorf("m4: %s: header has %d columns, want an id and values", name, len(header))
	}
	var out []rawSeries
	seen := make(map[string]bool)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("m4: %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		id := strings.TrimSpace(rec[0])
		if id == "" {
			return nil, fmt.Errorf("m4: %s:%d: empty series id", name, line)
		}
		if seen[id] {
			return nil, fmt.Errorf("m4: %s:%d: duplicate series id %q", name, line, id)
		}
		seen[id] = true
		cells := rec[1:]
		for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) == 0 {
			return nil, fmt.Errorf("m4: %s:%d: series %q has no values", name, line, id)
		}
		values := make([]float64, len(cells))
		for j, c := range cells {
			if strings.TrimSpace(c) == "" {
				return nil, fmt.Errorf("m4: %s:%d: series %q value %d: empty cell between values", name, line, id, j+1)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(c), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("m4: %s:%d: series %q value %d: %q is not a finite number", name, line, id, j+1, c)
			}
			values[j] = v
		}
		out = append(out, rawSeries{id: id, values: values})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("m4: %s: no series", name)
	}
	return out, nil
}

// readOfficial reads official-results.csv: a header, then method, sMAPE, MASE
// and OWA per row.
func readOfficial(path string) ([]Official, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("m4: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 4
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("m4: %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("m4: %s: empty file", path)
	}
	out := make([]Official, 0, len(rows)-1)
	for i, row := range rows[1:] {
		o := Official{Method: strings.TrimSpace(row[0])}
		for j, dst := range []*float64{&o.SMAPE, &o.MASE, &o.OWA} {
			v, err := strconv.ParseFloat(strings.TrimSpace(row[j+1]), 64)
			if err != nil {
				return nil, fmt.Errorf("m4: %s:%d: column %d: %q is not a number", path, i+2, j+2, row[j+1])
			}
			*dst = v
		}
		out = append(out, o)
	}
	return out, nil
}

// OfficialResult returns the official row of a method, such as "sNaive".
func (d *Dataset) OfficialResult(method string) (Official, bool) {
	for _, o := range d.Official {
		if o.Method == method {
			return o, true
		}
	}
	return Official{}, false
}
