package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run a benchmark: progress on stderr, a table (or --json) on stdout.",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchNABCmd(), newBenchM4Cmd(), newBenchIForestCmd())
	cmd.AddCommand(newBenchTwinCmd(), newBenchRCACmd())
	return cmd
}

func newBenchIngestCmd() *cobra.Command {
	var (
		opts       bench.IngestOptions
		asJSON     bool
		prometheus string
	)
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Remote-write throughput of Vigil (and of Prometheus with --prometheus).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			opts.VigilBinary = self
			opts.Progress = cmd.ErrOrStderr()
			if prometheus != "" {
				if opts.PrometheusBinary, err = exec.LookPath(prometheus); err != nil {
					return fmt.Errorf("--prometheus: %w", err)
				}
			}
			rep, err := bench.Ingest(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "target\tsamples\tseconds\tsamples/s\tCPU-s per million")
			for _, r := range []*bench.IngestResult{&rep.Vigil, rep.VigilDetect, rep.Prometheus} {
				if r != nil {
					fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.3f\n", r.Target, r.Samples, r.Seconds, r.SamplesPerSecond, r.CPUSecondsPerMillionSamples)
				}
			}
			if rep.Prometheus != nil {
				fmt.Fprintf(tw, "ratio (Vigil / Prometheus samples/s)\t\t\t%.2f×\t\n", rep.RatioVsPrometheus)
			}
			if rep.VigilDetect != nil {
				fmt.Fprintf(tw, "ratio (with detection / without)\t\t\t%.2f×\t\n", rep.DetectRatio)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&opts.Series, "series", 10000, "distinct series")
	cmd.Flags().IntVar(&opts.BatchSize, "batch", 2000, "samples per request (Prometheus sends up to 2000)")
	cmd.Flags().IntVar(&opts.Rounds, "rounds", 300, "samples per series")
	cmd.Flags().IntVar(&opts.Warmup, "warmup", 20, "rounds sent before the measurement starts (they create the series, and with detection the detectors)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&opts.Detect, "detect", false, "also measure with anomaly detection on every series")
	cmd.Flags().StringVar(&prometheus, "prometheus", "", "also measure this Prometheus binary's remote-write receiver (e.g. /usr/bin/prometheus)")
	return cmd
}
