package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench/iforest"
)

func newBenchIForestCmd() *cobra.Command {
	var (
		opts   = iforest.DefaultOptions()
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "iforest",
		Short: "Vigil's Isolation Forest against scikit-learn's: fit time, score time, ROC-AUC.",
		Long: `Generates a labelled data set (correlated Gaussian clusters with far
outliers, rows off the clusters' correlation structure and a small anomalous
cluster), fits Vigil's Isolation Forest and scikit-learn's IsolationForest on
the same rows with the same number of trees and sample size, scores every row
with each, and reports the best fit and score times over the repetitions, the
ROC-AUC of each against the labels, and the speed-up. Both run on one thread.

It needs a Python with scikit-learn (Debian: apt-get install python3-sklearn).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			opts.Progress = cmd.ErrOrStderr()
			rep, err := iforest.Run(ctx, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			fmt.Fprintf(out, "Isolation Forest: %d points in %d dimensions, %d trees of %d rows, best of %d\n\n",
				rep.Points, rep.Dims, opts.Forest.Trees, opts.Forest.SampleSize, opts.Repeats)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "forest\tfit s\tscore s\tROC-AUC\t")
			fmt.Fprintf(tw, "vigil\t%.4f\t%.4f\t%.4f\t\n", rep.Vigil.FitSeconds, rep.Vigil.ScoreSeconds, rep.Vigil.AUC)
			fmt.Fprintf(tw, "scikit-learn %s\t%.4f\t%.4f\t%.4f\t\n", rep.Sklearn.Version, rep.Sklearn.FitSeconds, rep.Sklearn.ScoreSeconds, rep.Sklearn.AUC)
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nVigil is %.1f× faster (fit %.1f×, score %.1f×); AUC difference %+.4f\n",
				rep.Speedup, rep.Sklearn.FitSeconds/rep.Vigil.FitSeconds, rep.Sklearn.ScoreSeconds/rep.Vigil.ScoreSeconds,
				rep.Vigil.AUC-rep.Sklearn.AUC)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&opts.Data.Points, "points", opts.Data.Points, "rows in the data set")
	cmd.Flags().IntVar(&opts.Data.Dims, "dims", opts.Data.Dims, "features of each row")
	cmd.Flags().Float64Var(&opts.Data.AnomalyFraction, "anomalies", opts.Data.AnomalyFraction, "fraction of the rows that are anomalies")
	cmd.Flags().Uint64Var(&opts.Data.Seed, "data-seed", opts.Data.Seed, "seed of the data set")
	cmd.Flags().Uint64Var(&opts.Forest.Seed, "seed", opts.Forest.Seed, "seed of both forests")
	cmd.Flags().IntVar(&opts.Forest.Trees, "trees", opts.Forest.Trees, "trees in each forest (scikit-learn's n_estimators)")
	cmd.Flags().IntVar(&opts.Forest.SampleSize, "sample-size", opts.Forest.SampleSize, "rows each tree is grown on (scikit-learn's max_samples)")
	cmd.Flags().IntVar(&opts.Repeats, "repeats", opts.Repeats, "fits and scorings of each forest; the best times are reported")
	cmd.Flags().StringVar(&opts.Python, "python", "", "Python interpreter with scikit-learn (default: the first of python3, /usr/bin/python3 that has it)")
	return cmd
}
