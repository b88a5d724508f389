package m4

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-aiops/vigil/internal/bench"
	"github.com/vigil-aiops/vigil/internal/forecast"
)

// statsmodelsScript fits statsmodels' ExponentialSmoothing to each series of
// an input file; it is written to a temporary file and run.
//
//go:embed compare_statsmodels.py
var statsmodelsScript []byte

// StatsmodelsModel describes the model the comparison runs.
const StatsmodelsModel = "statsmodels ExponentialSmoothing(trend=add, seasonal=add, seasonal_periods=24)"

// PythonCandidates returns the interpreters tried, in order, when
// StatsmodelsOptions.Python is empty: the first that can import statsmodels
// is used. Debian's python3-statsmodels installs into /usr/bin/python3, which
// need not be the python3 first in PATH.
func PythonCandidates() []string { return []string{"python3", "/usr/bin/python3"} }

// StatsmodelsOptions configure the statsmodels comparison.
type StatsmodelsOptions struct {
	// Python is the interpreter to use; empty means the first of
	// PythonCandidates() that has statsmodels.
	Python string
}

// StatsmodelsResult is statsmodels' Holt-Winters on the same series.
type StatsmodelsResult struct {
	// Python is the interpreter used, Version statsmodels' version.
	Python, Version string
	Score
	// Seconds and CPUSeconds are the wall and CPU time of the fits and
	// forecasts, summed over series, as the script measures them (BLAS
	// limited to one thread), comparable with ModelResult's.
	Seconds, CPUSeconds float64
	// WallSeconds is the wall time of the whole comparison, with as many
	// Python processes as the run has workers, start-up included.
	WallSeconds float64
	// Failed counts the series statsmodels failed on; they are scored with
	// the seasonal naive forecast. FirstError is the first failure.
	Failed     int
	FirstError string
}

// FindPython returns the first interpreter of candidates that can import
// statsmodels, and statsmodels' version.
func FindPython(ctx context.Context, candidates []string) (path, version string, err error) {
	path, version, err = bench.FindPython(ctx, candidates, "import statsmodels; print(statsmodels.__version__)", "statsmodels", "install the Debian package python3-statsmodels or name an interpreter (--python)")
	if err != nil {
		return "", "", fmt.Errorf("m4: %w", err)
	}
	return path, version, nil
}

// smLine is one line of the script's output.
type smLine struct {
	ID         string    `json:"id"`
	Seconds    float64   `json:"seconds"`
	CPUSeconds float64   `json:"cpu_seconds"`
	Forecast   []float64 `json:"forecast"`
	Error      string    `json:"error"`
}

// findStatsmodels returns the interpreter the options name, or the first of
// PythonCandidates() with statsmodels, and statsmodels' version.
func findStatsmodels(ctx context.Context, opts StatsmodelsOptions) (python, version string, err error) {
	if opts.Python != "" {
		return FindPython(ctx, []string{opts.Python})
	}
	return FindPython(ctx, PythonCandidates())
}

// runStatsmodels fits statsmodels' Holt-Winters to every series of ds with
// the given interpreter and workers Python processes (each given every
// workers-th series) and scores the forecasts like Vigil's, relative to
// naive2.
func runStatsmodels(ctx context.Context, ds *Dataset, python, version string, workers int, progress io.Writer, naive2 Score) (*StatsmodelsResult, error) {
	dir, err := os.MkdirTemp("", "vigil-m4-statsmodels-")
	if err != nil {
		return nil, fmt.Errorf("m4: statsmodels: %w", err)
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "compare_statsmodels.py")
	if err := os.WriteFile(script, statsmodelsScript, 0o600); err != nil {
		return nil, fmt.Errorf("m4: statsmodels: %w", err)
	}
	// The script reads one series per line, its id first and commas between
	// fields, and results are matched by id.
	ids := make(map[string]bool, len(ds.Series))
	for _, s := range ds.Series {
		if strings.ContainsAny(s.ID, ",\r\n") || ids[s.ID] {
			return nil, fmt.Errorf("m4: statsmodels: series id %q is duplicated or holds a comma or a line break", s.ID)
		}
		ids[s.ID] = true
	}
	workers = max(1, min(workers, len(ds.Series)))
	inputs := make([]string, workers)
	for w := range workers {
		var b bytes.Buffer
		for i := w; i < len(ds.Series); i += workers {
			s := &ds.Series[i]
			b.WriteString(s.ID)
			for _, v := range s.Train {
				b.WriteByte(',')
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
			b.WriteByte('\n')
		}
		inputs[w] = filepath.Join(dir, fmt.Sprintf("series-%d.csv", w))
		if err := os.WriteFile(inputs[w], b.Bytes(), 0o600); err != nil {
			return nil, fmt.Errorf("m4: statsmodels: %w", err)
		}
	}

	fmt.Fprintf(progress, "m4: statsmodels %s (%s), %d processes\n", version, python, workers)
	start := time.Now()
	lines := make([][]smLine, workers)
	errs := make([]error, workers)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		last time.Time
	)
	for w := range workers {
		wg.Go(func() {
			lines[w], errs[w] = runScript(ctx, python, script, inputs[w], func() {
				mu.Lock()
				defer mu.Unlock()
				done++
				if now := time.Now(); done == len(ds.Series) || now.Sub(last) >= time.Second {
					last = now
					fmt.Fprintf(progress, "m4: statsmodels %d/%d series, %.1fs\n", done, len(ds.Series), now.Sub(start).Seconds())
				}
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := &StatsmodelsResult{Python: python, Version: version, WallSeconds: time.Since(start).Seconds()}
	byID := make(map[string]*smLine, len(ds.Series))
	for _, ls := range lines {
		for i := range ls {
			byID[ls[i].ID] = &ls[i]
		}
	}
	for i := range ds.Series {
		s := &ds.Series[i]
		l, ok := byID[s.ID]
		if !ok {
			return nil, fmt.Errorf("m4: statsmodels: no result for series %q", s.ID)
		}
		f, ferr := l.Forecast, error(nil)
		switch {
		case l.Error != "":
			ferr = errors.New(l.Error)
		case len(f) != Horizon:
			ferr = fmt.Errorf("%d values, want %d", len(f), Horizon)
		case !allFinite(f):
			ferr = errors.New("non-finite forecast")
		}
		if ferr != nil {
			if res.Failed == 0 {
				res.FirstError = fmt.Sprintf("%s: %v", s.ID, ferr)
			}
			res.Failed++
			f = seasonalNaive(s.Train)
		}
		res.SMAPE += SMAPE(s.Test, f)
		res.MASE += MASE(s.Train, s.Test, f, Frequency)
		res.Seconds += l.Seconds
		res.CPUSeconds += l.CPUSeconds
	}
	res.SMAPE /= float64(len(ds.Series))
	res.MASE /= float64(len(ds.Series))
	res.OWA = OWA(res.SMAPE, res.MASE, naive2)
	return res, nil
}

// runScript runs the comparison script on one input file with BLAS and OpenMP
// limited to one thread, calling tick after each series.
func runScript(ctx context.Context, python, script, input string, tick func()) ([]smLine, error) {
	cmd := exec.CommandContext(ctx, python, script, input, strconv.Itoa(Horizon), strconv.Itoa(Frequency))
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("m4: statsmodels: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("m4: statsmodels: %w", err)
	}
	var lines []smLine
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var parseErr error
	for sc.Scan() {
		var l smLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			parseErr = fmt.Errorf("m4: statsmodels: bad output line %q: %w", truncate(sc.Text(), 200), err)
			break
		}
		lines = append(lines, l)
		tick()
	}
	if parseErr == nil {
		parseErr = sc.Err()
	}
	// Drain what is left so the process can exit, then wait for it.
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("m4: statsmodels: %s: %w: %s", python, err, truncate(stderr.String(), 2000))
	}
	if parseErr != nil {
		return nil, parseErr
	}
	return lines, nil
}

// seasonalNaive is the forecast that stands in for a failed one.
func seasonalNaive(train []float64) []float64 {
	f, err := forecast.SeasonalNaive{Period: Frequency}.Forecast(train, Horizon)
	if err != nil {
		// Load guarantees more than Frequency finite training values.
		panic(fmt.Sprintf("m4: seasonal naive on a loaded series: %v", err))
	}
	return f
}

func allFinite(f []float64) bool {
	for _, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
