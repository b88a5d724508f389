package nab

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigil-aiops/vigil/internal/detect"
)

// RunOptions configure Run.
type RunOptions struct {
	// NewDetector returns a fresh detector for one file.
	NewDetector func() (detect.Detector, error)
	// Workers is how many files are scored at once; 0 means GOMAXPROCS.
	// Scores do not depend on it.
	Workers int
	// Progress, when set, receives a line each time a file is done.
	Progress io.Writer
}

// Scores are a detector's anomaly scores on a corpus.
type Scores struct {
	// PerFile holds one score per row for every file, in the corpus order.
	PerFile [][]float64
	// Rows is the number of rows scored.
	Rows int
	// Elapsed is the wall-clock time the detectors took, loading excluded.
	Elapsed time.Duration
}

// Run feeds every file of c to a fresh detector, one row at a time and in
// row order, and collects its scores. Each row reaches the detector only
// after the score of the row before it has been returned, with the row's
// timestamp and value and nothing else, so the detector cannot look ahead.
// Files are scored in parallel; the result does not depend on the order in
// which they finish. A score outside [0, 1] or NaN is an error.
func Run(ctx context.Context, c *Corpus, opts RunOptions) (*Scores, error) {
	if opts.NewDetector == nil {
		return nil, fmt.Errorf("nab: RunOptions.NewDetector is nil")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := &Scores{PerFile: make([][]float64, len(c.Files)), Rows: c.Rows()}
	var (
		mu       sync.Mutex
		done     int
		doneRows int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	start := time.Now()
	for i, f := range c.Files {
		g.Go(func() error {
			s, err := runFile(gctx, f, opts.NewDetector)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			out.PerFile[i] = s
			if opts.Progress != nil {
				mu.Lock()
				defer mu.Unlock()
				done++
				doneRows += len(s)
				fmt.Fprintf(opts.Progress, "nab: %d/%d files, %d rows: %s\n", done, len(c.Files), doneRows, f.Name)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// runFile scores one file with a fresh detector.
func runFile(ctx context.Context, f *File, newDetector func() (detect.Detector, error)) ([]float64, error) {
	d, err := newDetector()
	if err != nil {
		return nil, err
	}
	scores := make([]float64, len(f.Values))
	for i, v := range f.Values {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s := d.Observe(detect.Sample{T: f.Times[i], V: v}).Score
		if math.IsNaN(s) || s < 0 || s > 1 {
			return nil, fmt.Errorf("row %d: detector returned score %v, want a number in [0, 1]", i, s)
		}
		scores[i] = s
	}
	return scores, nil
}
