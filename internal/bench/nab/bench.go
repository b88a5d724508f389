package nab

import (
	"context"
	"fmt"
	"io"

	"github.com/vigil-aiops/vigil/internal/detect"
)

// Options configure Benchmark.
type Options struct {
	// Dir is the NAB directory (data/, labels/, profiles.json).
	Dir string
	// Detector names the detector (see detect.Names); empty means the
	// default, Vigil's ensemble.
	Detector string
	// FixedThreshold is the score at which the detector alerts in
	// production (detect.AlertThreshold for Vigil), fixed before the data
	// is seen; fixed_threshold_scores are computed with it.
	FixedThreshold float64
	// Workers is how many files are scored at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, receives progress lines.
	Progress io.Writer
}

// ProfileScores are normalised scores for the three NAB profiles.
type ProfileScores struct {
	Standard float64 `json:"standard"`
	LowFP    float64 `json:"reward_low_FP_rate"`
	LowFN    float64 `json:"reward_low_FN_rate"`
}

// Report is the outcome of a benchmark run; its JSON form is the one object
// `vigil bench nab --json` prints.
type Report struct {
	Detector      string  `json:"detector"`
	Files         int     `json:"files"`
	Windows       int     `json:"windows"`
	Rows          int     `json:"rows"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`
	// Scores use NAB's corpus-optimised threshold per profile.
	Scores ProfileScores `json:"scores"`
	// FixedThresholdScores use Options.FixedThreshold for every profile.
	FixedThresholdScores ProfileScores `json:"fixed_threshold_scores"`

	// Optimized and Fixed detail the scores per profile name, for the table.
	Optimized map[string]Result `json:"-"`
	Fixed     map[string]Result `json:"-"`
}

// Benchmark loads the corpus, runs the detector over it and scores the
// result for the three NAB profiles, at the optimised and at the fixed
// threshold.
func Benchmark(ctx context.Context, opts Options) (*Report, error) {
	name := opts.Detector
	if name == "" {
		name = detect.Names()[0]
	}
	if _, err := detect.New(name); err != nil {
		return nil, err
	}
	c, err := Load(opts.Dir)
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "nab: %d files, %d rows, %d windows; detector %s\n", len(c.Files), c.Rows(), c.Windows(), name)
	}
	s, err := Run(ctx, c, RunOptions{
		NewDetector: func() (detect.Detector, error) { return detect.New(name) },
		Workers:     opts.Workers,
		Progress:    opts.Progress,
	})
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Detector:  name,
		Files:     len(c.Files),
		Windows:   c.Windows(),
		Rows:      s.Rows,
		Seconds:   s.Elapsed.Seconds(),
		Optimized: make(map[string]Result, len(ProfileNames)),
		Fixed:     make(map[string]Result, len(ProfileNames)),
	}
	if rep.Seconds > 0 {
		rep.RowsPerSecond = float64(s.Rows) / rep.Seconds
	}
	for _, p := range ProfileNames {
		cm := c.Profiles[p]
		if rep.Optimized[p], err = Optimize(c, s.PerFile, cm); err != nil {
			return nil, err
		}
		if rep.Fixed[p], err = ScoreAt(c, s.PerFile, cm, opts.FixedThreshold); err != nil {
			return nil, err
		}
	}
	rep.Scores = ProfileScores{
		Standard: rep.Optimized[ProfileStandard].Normalized,
		LowFP:    rep.Optimized[ProfileLowFP].Normalized,
		LowFN:    rep.Optimized[ProfileLowFN].Normalized,
	}
	rep.FixedThresholdScores = ProfileScores{
		Standard: rep.Fixed[ProfileStandard].Normalized,
		LowFP:    rep.Fixed[ProfileLowFP].Normalized,
		LowFN:    rep.Fixed[ProfileLowFN].Normalized,
	}
	return rep, nil
}
