// Package rca is the root-cause benchmark on public multivariate cases in
// the RCAEval layout: one folder per case, <component>-<fault>/<n>/, with
// normal.csv (before the fault) and anomalous.csv (after), each with a
// first column time (unix seconds) and one column per metric named
// <component>_<metric>. The root cause is the folder's component; a
// component's -db companion counts as the same component. Scores are
// AC@k = mean over cases of (true causes in the top k) / min(k, number of
// true causes), and Avg@5 = the mean of AC@1 … AC@5.
package rca

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/rca"
)

// Report is the benchmark's result.
type Report struct {
	Cases   int     `json:"cases"`
	AC1     float64 `json:"ac1"`
	AC3     float64 `json:"ac3"`
	Avg5    float64 `json:"avg5"`
	Seconds float64 `json:"seconds"`
	// Failed lists the cases that could not be read or ranked, with why;
	// they count as misses.
	Failed []string `json:"failed,omitempty"`
}

// Component returns a metric's component: what precedes the first "_",
// without a "-db" suffix.
func Component(metric string) string {
	c, _, _ := strings.Cut(metric, "_")
	return strings.TrimSuffix(c, "-db")
}

// Run ranks every case under dir.
func Run(dir string, progress io.Writer) (Report, error) {
	began := time.Now()
	cases, err := findCases(dir)
	if err != nil {
		return Report{}, err
	}
	if len(cases) == 0 {
		return Report{}, fmt.Errorf("rca cases: no <component>-<fault>/<n>/ folder with normal.csv and anomalous.csv under %s", dir)
	}
	var rep Report
	var ac [6]float64
	for i, c := range cases {
		ranked, err := rankCase(c.dir)
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %v", c.dir, err))
		}
		for k := 1; k <= 5; k++ {
			ac[k] += hit(ranked, c.cause, k)
		}
		if progress != nil && (i+1)%50 == 0 {
			fmt.Fprintf(progress, "rca: %d/%d cases\n", i+1, len(cases))
		}
	}
	n := float64(len(cases))
	rep.Cases = len(cases)
	rep.AC1, rep.AC3 = ac[1]/n, ac[3]/n
	rep.Avg5 = (ac[1] + ac[2] + ac[3] + ac[4] + ac[5]) / 5 / n
	rep.Seconds = time.Since(began).Seconds()
	return rep, nil
}

// hit is AC@k of one case with one true cause.
func hit(ranked []string, cause string, k int) float64 {
	for i := 0; i < k && i < len(ranked); i++ {
		if ranked[i] == cause {
			return 1
		}
	}
	return 0
}

type caseDir struct{ dir, cause string }

func findCases(dir string) ([]caseDir, error) {
	faults, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("rca cases: %w", err)
	}
	var out []caseDir
	for _, f := range faults {
		i := strings.LastIndex(f.Name(), "-")
		if !f.IsDir() || i <= 0 {
			continue
		}
		cause := strings.TrimSuffix(f.Name()[:i], "-db")
		runs, err := os.ReadDir(filepath.Join(dir, f.Name()))
		if err != nil {
			return nil, fmt.Errorf("rca cases: %w", err)
		}
		for _, r := range runs {
			d := filepath.Join(dir, f.Name(), r.Name())
			if _, err := os.Stat(filepath.Join(d, "normal.csv")); r.IsDir() && err == nil {
				out = append(out, caseDir{dir: d, cause: cause})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out, nil
}

func rankCase(dir string) ([]string, error) {
	normal, err := ReadMetrics(filepath.Join(dir, "normal.csv"))
	if err != nil {
		return nil, err
	}
	anomalous, err := ReadMetrics(filepath.Join(dir, "anomalous.csv"))
	if err != nil {
		return nil, err
	}
	causes, err := rca.RankMetrics(normal, anomalous, Component)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(causes))
	for i, c := range causes {
		out[i] = c.Component
	}
	return out, nil
}

// ReadMetrics reads a case's CSV file: a header whose first column is
// time, then one row per time step. Empty cells are missing values.
func ReadMetrics(path string) (map[string][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMetrics(f, path)
}

func parseMetrics(r io.Reader, name string) (map[string][]float64, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	if len(header) < 2 || strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")) != "time" {
		return nil, fmt.Errorf("%s: the first column must be time, then one column per metric", name)
	}
	cols := append([]string(nil), header[1:]...)
	out := make(map[string][]float64, len(cols))
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i, c := range cols {
			cell := strings.TrimSpace(rec[i+1])
			if cell == "" {
				continue
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d, column %s: %q is not a number", name, line, c, cell)
			}
			out[c] = append(out[c], v)
		}
	}
	return out, nil
}
