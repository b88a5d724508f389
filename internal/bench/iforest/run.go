package iforest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vigil-aiops/vigil/internal/bench"
	"github.com/vigil-aiops/vigil/internal/detect"
)

// sklearnScript fits scikit-learn's IsolationForest and scores every row; it
// is written to a temporary file and run.
//
//go:embed compare_sklearn.py
var sklearnScript []byte

// Options configure Run.
type Options struct {
	// Data chooses the data set.
	Data DataConfig
	// Forest is the configuration of both forests: scikit-learn is given
	// the same number of trees, sample size and seed (modulo 2^32).
	Forest detect.IForestConfig
	// Repeats is how many times each forest is fitted and scores every row;
	// the best times are reported.
	Repeats int
	// Python is the interpreter to run scikit-learn with; empty means the
	// first of PythonCandidates() that has it.
	Python string
	// Progress, if not nil, receives a line per step.
	Progress io.Writer
}

// DefaultOptions returns the default data set, 100 trees of 256 rows and
// three repetitions.
func DefaultOptions() Options {
	cfg := detect.DefaultIForestConfig()
	cfg.Seed = 1
	return Options{Data: DefaultDataConfig(), Forest: cfg, Repeats: 3}
}

// Result is one forest's figures.
type Result struct {
	// FitSeconds and ScoreSeconds are the best wall times, over the
	// repetitions, of fitting the forest and of scoring every row.
	FitSeconds   float64 `json:"fit_seconds"`
	ScoreSeconds float64 `json:"score_seconds"`
	// AUC is the ROC-AUC of the scores against the labels.
	AUC float64 `json:"auc"`
}

// SklearnResult is scikit-learn's figures and version.
type SklearnResult struct {
	Result
	Version string `json:"version"`
}

// Report is the outcome of Run.
type Report struct {
	Points  int           `json:"points"`
	Dims    int           `json:"dims"`
	Vigil   Result        `json:"vigil"`
	Sklearn SklearnResult `json:"sklearn"`
	// Speedup is scikit-learn's fit and score time over Vigil's.
	Speedup float64 `json:"speedup"`
}

// PythonCandidates returns the interpreters tried, in order, when
// Options.Python is empty. Debian's python3-sklearn installs into
// /usr/bin/python3, which need not be the python3 first in PATH.
func PythonCandidates() []string { return []string{"python3", "/usr/bin/python3"} }

// FindPython returns the first of candidates that can import scikit-learn
// and NumPy, and scikit-learn's version.
func FindPython(ctx context.Context, candidates []string) (path, version string, err error) {
	path, version, err = bench.FindPython(ctx, candidates, "import numpy, sklearn; print(sklearn.__version__)", "scikit-learn", "install the Debian package python3-sklearn or name an interpreter (--python)")
	if err != nil {
		return "", "", fmt.Errorf("iforest: %w", err)
	}
	return path, version, nil
}

// Run generates the data set, runs both forests on it and reports their
// figures.
func Run(ctx context.Context, opts Options) (*Report, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if opts.Repeats < 1 {
		return nil, fmt.Errorf("iforest: repeats %d: must be at least 1", opts.Repeats)
	}
	if err := opts.Forest.Validate(); err != nil {
		return nil, err
	}
	candidates := PythonCandidates()
	if opts.Python != "" {
		candidates = []string{opts.Python}
	}
	python, _, err := FindPython(ctx, candidates)
	if err != nil {
		return nil, err
	}
	ds, err := Generate(opts.Data)
	if err != nil {
		return nil, err
	}
	labels := ds.Labels()
	rep := &Report{Points: len(ds.Rows), Dims: opts.Data.Dims}

	fmt.Fprintf(progress, "iforest: %d points in %d dimensions, %d trees of %d rows, best of %d\n",
		rep.Points, rep.Dims, opts.Forest.Trees, opts.Forest.SampleSize, opts.Repeats)
	scores, err := runVigil(opts, ds, &rep.Vigil)
	if err != nil {
		return nil, err
	}
	if rep.Vigil.AUC, err = AUC(scores, labels); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "iforest: vigil fit %.4fs, score %.4fs, AUC %.4f\n", rep.Vigil.FitSeconds, rep.Vigil.ScoreSeconds, rep.Vigil.AUC)

	if scores, err = runSklearn(ctx, python, opts, ds, &rep.Sklearn); err != nil {
		return nil, err
	}
	if rep.Sklearn.AUC, err = AUC(scores, labels); err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn's scores: %w", err)
	}
	fmt.Fprintf(progress, "iforest: scikit-learn %s (%s) fit %.4fs, score %.4fs, AUC %.4f\n",
		rep.Sklearn.Version, python, rep.Sklearn.FitSeconds, rep.Sklearn.ScoreSeconds, rep.Sklearn.AUC)
	rep.Speedup = (rep.Sklearn.FitSeconds + rep.Sklearn.ScoreSeconds) / (rep.Vigil.FitSeconds + rep.Vigil.ScoreSeconds)
	return rep, nil
}

// runVigil fits Vigil's forest and scores every row opts.Repeats times,
// recording the best times in res, and returns the scores.
func runVigil(opts Options, ds *Dataset, res *Result) ([]float64, error) {
	f, err := detect.NewIsolationForest(opts.Forest)
	if err != nil {
		return nil, err
	}
	var scores []float64
	res.FitSeconds, res.ScoreSeconds = math.Inf(1), math.Inf(1)
	for range opts.Repeats {
		start := time.Now()
		if err := f.Fit(ds.Rows); err != nil {
			return nil, err
		}
		fitted := time.Now()
		scores = f.ScoreAll(ds.Rows, scores)
		done := time.Now()
		res.FitSeconds = min(res.FitSeconds, fitted.Sub(start).Seconds())
		res.ScoreSeconds = min(res.ScoreSeconds, done.Sub(fitted).Seconds())
	}
	return scores, nil
}

// sklearnOutput is the script's JSON line.
type sklearnOutput struct {
	Version      string  `json:"version"`
	FitSeconds   float64 `json:"fit_seconds"`
	ScoreSeconds float64 `json:"score_seconds"`
}

// runSklearn runs the script on the rows with python, recording
// scikit-learn's version and best times in res, and returns its scores.
func runSklearn(ctx context.Context, python string, opts Options, ds *Dataset, res *SklearnResult) ([]float64, error) {
	dir, err := os.MkdirTemp("", "vigil-iforest-sklearn-")
	if err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: %w", err)
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "compare_sklearn.py")
	rowsPath := filepath.Join(dir, "rows.f64")
	scoresPath := filepath.Join(dir, "scores.f64")
	if err := os.WriteFile(script, sklearnScript, 0o600); err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: %w", err)
	}
	d := opts.Data.Dims
	buf := make([]byte, 0, len(ds.Rows)*d*8)
	for _, r := range ds.Rows {
		for _, v := range r {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	if err := os.WriteFile(rowsPath, buf, 0o600); err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: %w", err)
	}
	cmd := exec.CommandContext(ctx, python, script, rowsPath,
		strconv.Itoa(len(ds.Rows)), strconv.Itoa(d),
		strconv.Itoa(opts.Forest.Trees), strconv.Itoa(opts.Forest.SampleSize),
		strconv.FormatUint(opts.Forest.Seed%(1<<32), 10), strconv.Itoa(opts.Repeats), scoresPath)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: %s: %w: %s", python, err, truncate(stderr.String(), 2000))
	}
	var o sklearnOutput
	if err := json.Unmarshal(bytes.TrimSpace(out), &o); err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: bad output %q: %w", truncate(string(out), 200), err)
	}
	raw, err := os.ReadFile(scoresPath)
	if err != nil {
		return nil, fmt.Errorf("iforest: scikit-learn: %w", err)
	}
	if len(raw) != 8*len(ds.Rows) {
		return nil, fmt.Errorf("iforest: scikit-learn: %d bytes of scores, want %d", len(raw), 8*len(ds.Rows))
	}
	scores := make([]float64, len(ds.Rows))
	for i := range scores {
		scores[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	res.Version, res.FitSeconds, res.ScoreSeconds = o.Version, o.FitSeconds, o.ScoreSeconds
	return scores, nil
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
