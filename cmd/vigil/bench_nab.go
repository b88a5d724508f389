package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench/nab"
	"github.com/vigil-aiops/vigil/internal/detect"
)

// newBenchNABCmd returns `vigil bench nab`: one detector over every file of a
// NAB corpus, scored with NAB's rules for its three profiles.
func newBenchNABCmd() *cobra.Command {
	var (
		opts   nab.Options
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "nab",
		Short: "Score a detector on the Numenta Anomaly Benchmark (NAB v1.1 layout).",
		Long: "Runs one detector over every file of --data (data/<category>/<file>.csv, " +
			"labels/combined_windows.json, profiles.json), strictly causally, and scores it " +
			"with NAB's rules for the standard, reward_low_FP_rate and reward_low_FN_rate " +
			"profiles: at NAB's corpus-optimised threshold (scores) and at the threshold " +
			"Vigil alerts on in production (fixed_threshold_scores).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Dir == "" {
				return errors.New("--data is required")
			}
			opts.Progress = cmd.ErrOrStderr()
			// The fixed threshold is detect.AlertThreshold, the score Vigil
			// alerts on in production. It was fixed in code before any
			// detector ran on benchmark data and is never derived from it.
			opts.FixedThreshold = detect.AlertThreshold
			rep, err := nab.Benchmark(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			fmt.Fprintf(out, "detector %s: %d files, %d windows, %d rows in %.2fs (%.0f rows/s)\n\n",
				rep.Detector, rep.Files, rep.Windows, rep.Rows, rep.Seconds, rep.RowsPerSecond)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "profile\tscore\tthreshold\tdetected\tFP rows\t\tfixed score\tthreshold\tdetected\tFP rows\t")
			for _, p := range nab.ProfileNames {
				o, f := rep.Optimized[p], rep.Fixed[p]
				fmt.Fprintf(tw, "%s\t%.2f\t%.4g\t%d/%d\t%d\t\t%.2f\t%.4g\t%d/%d\t%d\t\n",
					p, o.Normalized, o.Threshold, o.Detected, o.Detected+o.Missed, o.FalsePositives,
					f.Normalized, f.Threshold, f.Detected, f.Detected+f.Missed, f.FalsePositives)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "data", "", "NAB directory (data/, labels/combined_windows.json, profiles.json)")
	cmd.Flags().StringVar(&opts.Detector, "detector", detect.NameEnsemble, "detector: "+strings.Join(detect.Names(), ", "))
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "files scored at once (0: one per CPU); scores do not depend on it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of the table")
	return cmd
}
