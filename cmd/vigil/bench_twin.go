package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench/twin"
)

func newBenchTwinCmd() *cobra.Command {
	opts := twin.DefaultOptions()
	var asJSON, perFault bool
	cmd := &cobra.Command{
		Use:   "twin",
		Short: "The digital twin: a simulated fleet with a seeded fault schedule, watched by static rules and by Vigil; MTTD, MTTR, false positives, alert compression.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Progress = cmd.ErrOrStderr()
			rep, err := twin.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if !perFault {
					rep.PerFault = nil
				}
				return json.NewEncoder(out).Encode(rep)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "seed %d, %d pipelines, %d days, %d faults, %.1f s\n\n", rep.Seed, rep.Pipelines, rep.Days, rep.Faults, rep.Seconds)
			fmt.Fprintln(tw, "mode\tMTTD\tMTTR\tincidents\tfalse positives\tmissed faults\talerts/incident\tautomation\tguardrail violations\t")
			for _, m := range []string{"static", "detect", "auto"} {
				r, ok := rep.Modes[m]
				if !ok {
					fmt.Fprintf(tw, "%s\tnot available\t\t\t\t\t\t\t\t\n", m)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f%%\t%d\t%.1f\t%.0f%%\t%d\t\n", m, secs(r.MTTD), secs(r.MTTR), r.Incidents,
					100*r.FalsePositiveRate, r.MissedFaults, r.AlertsPerIncident, 100*r.AutomationCoverage, r.GuardrailViolations)
			}
			dl := rep.Deadlines
			fmt.Fprintf(tw, "\ndeadline misses %d, predicted %s or more ahead %d; predictions %d, false %d\n",
				dl.Misses, time.Duration(dl.Lead)*time.Second, dl.Predicted, dl.Predictions, dl.False)
			if rep.Missing != "" {
				fmt.Fprintf(tw, "\n%s\n", rep.Missing)
			}
			fmt.Fprintln(tw, "\nfault\tkind\ttarget\tstart\tduration\tstatic\tdetect\t")
			for _, f := range rep.PerFault {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Fault, f.Kind, f.Target, f.Start.Format("01-02 15:04"), f.Duration,
					delay(f.Detected["static"]), delay(f.Detected["detect"]))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().Int64Var(&opts.Seed, "seed", opts.Seed, "seed of the fleet, its behaviour and the fault schedule")
	cmd.Flags().IntVar(&opts.Pipelines, "pipelines", opts.Pipelines, "pipelines in the generated fleet")
	cmd.Flags().IntVar(&opts.Days, "days", opts.Days, "simulated days")
	cmd.Flags().IntVar(&opts.PerKind, "faults-per-kind", opts.PerKind, "faults of every kind")
	cmd.Flags().DurationVar(&opts.Ack, "ack", opts.Ack, "modelled time for a person to acknowledge an alert")
	cmd.Flags().DurationVar(&opts.Fix, "fix", opts.Fix, "modelled time for a person to fix a fault once acknowledged")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&perFault, "per-fault", false, "with --json, include the per-fault rows")
	return cmd
}

func secs(s float64) string { return (time.Duration(s) * time.Second).Round(time.Second).String() }

func delay(d *time.Duration) string {
	if d == nil {
		return "missed"
	}
	return d.Round(time.Second).String()
}
