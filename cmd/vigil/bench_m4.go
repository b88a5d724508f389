package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench/m4"
)

func newBenchM4Cmd() *cobra.Command {
	var (
		dir     string
		asJSON  bool
		compare bool
		python  string
		workers int
	)
	cmd := &cobra.Command{
		Use:   "m4",
		Short: "Forecast accuracy (sMAPE, MASE, OWA) on M4 Hourly, optionally against statsmodels.",
		Long: `Forecasts the 48 hours after every series of an M4 Hourly directory
(Hourly-train.csv, Hourly-test.csv, official-results.csv) with each of Vigil's
models and with the automatic selection, and scores them with the
competition's sMAPE, MASE (m = 24) and OWA relative to Naive2.

With --compare-statsmodels it also runs statsmodels' ExponentialSmoothing
(additive trend, additive season of 24) on the same series and reports both
accuracies and the speed-up; it needs a Python with statsmodels (Debian:
apt-get install python3-statsmodels).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			ds, err := m4.Load(dir)
			if err != nil {
				return err
			}
			opts := m4.Options{Models: m4.DefaultModels(), Workers: workers, Progress: cmd.ErrOrStderr()}
			if compare {
				opts.Statsmodels = &m4.StatsmodelsOptions{Python: python}
			}
			rep, err := m4.Run(ctx, ds, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			return printM4Table(cmd, ds, rep)
		},
	}
	cmd.Flags().StringVar(&dir, "data", "../shared/datasets/m4-hourly", "M4 Hourly directory (Hourly-train.csv, Hourly-test.csv)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&compare, "compare-statsmodels", false, "also run statsmodels' Holt-Winters on the same series")
	cmd.Flags().StringVar(&python, "python", "", "Python interpreter with statsmodels (default: the first of python3, /usr/bin/python3 that has it)")
	cmd.Flags().IntVar(&workers, "workers", 0, "series forecast in parallel (default: GOMAXPROCS); results do not depend on it")
	return cmd
}

// printM4Table prints the report as a table, with the official results of the
// full set for orientation and the statsmodels comparison.
func printM4Table(cmd *cobra.Command, ds *m4.Dataset, rep *m4.Report) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "M4 Hourly: %d series, horizon %d, %.1f s\n\n", rep.Series, rep.Horizon, rep.Seconds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tsMAPE\tMASE\tOWA\tseconds\tCPU-s\tfailed\t")
	for _, m := range rep.Models {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t%d\t\n", m.Name, m.SMAPE, m.MASE, m.OWA, m.Seconds, m.CPUSeconds, m.Failed)
	}
	if sm := rep.Statsmodels; sm != nil {
		fmt.Fprintf(tw, "statsmodels-hw\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t%d\t\n", sm.SMAPE, sm.MASE, sm.OWA, sm.Seconds, sm.CPUSeconds, sm.Failed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range rep.Models {
		if m.Failed > 0 {
			fmt.Fprintf(out, "%s failed on %d series (scored as seasonal naive), first: %s\n", m.Name, m.Failed, m.FirstError)
		}
	}
	if len(ds.Official) > 0 {
		fmt.Fprintln(out, "\nofficial results on the full 414-series set (sMAPE / MASE / OWA):")
		for _, name := range []string{"238", "118", "sNaive", "Naive2", "Theta"} {
			if o, ok := ds.OfficialResult(name); ok {
				label := name
				switch name {
				case "238":
					label = "best submission (238)"
				case "118":
					label = "ES-RNN, the winner (118)"
				}
				fmt.Fprintf(out, "  %-26s %.3f / %.3f / %.3f\n", label, o.SMAPE, o.MASE, o.OWA)
			}
		}
	}
	if sm := rep.Statsmodels; sm != nil {
		fmt.Fprintf(out, "\n%s, statsmodels %s (%s):\n", m4.StatsmodelsModel, sm.Version, sm.Python)
		fmt.Fprintf(out, "  sMAPE %.3f  MASE %.3f  OWA %.3f; fits %.2f s wall, %.2f s CPU; whole run %.1f s\n",
			sm.SMAPE, sm.MASE, sm.OWA, sm.Seconds, sm.CPUSeconds, sm.WallSeconds)
		if sm.Failed > 0 {
			fmt.Fprintf(out, "  failed on %d series (scored as seasonal naive), first: %s\n", sm.Failed, sm.FirstError)
		}
		for _, name := range []string{m4.ClassicHoltWinters().Name(), "auto"} {
			m, _ := rep.Model(name)
			ratio, basis := rep.Speedup(name)
			fmt.Fprintf(out, "  %s: %.1f× faster (%s time), sMAPE %.3f vs %.3f, MASE %.3f vs %.3f\n",
				name, ratio, basis, m.SMAPE, sm.SMAPE, m.MASE, sm.MASE)
		}
	}
	return nil
}
