package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/etl"
)

func newSimCmd() *cobra.Command {
	var (
		opts   = etl.SimOptions{Pipelines: 50, Days: 7, Seed: 1, Agents: 4, Slots: 4}
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a generated fleet of pipelines on a simulated clock through the real controller and agents.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Logger = slog.New(slog.DiscardHandler)
			fmt.Fprintf(cmd.ErrOrStderr(), "simulating %d pipelines for %d days (seed %d)…\n", opts.Pipelines, opts.Days, opts.Seed)
			began := time.Now()
			res, err := etl.Simulate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			secs := time.Since(began).Seconds()
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(map[string]any{
					"runs": res.Runs, "tasks": res.Tasks, "seconds": secs, "digest": res.Digest,
				})
			}
			fmt.Fprintf(out, "pipelines      %d (lineage depth %d)\n", res.Pipelines, res.LineageDepth)
			fmt.Fprintf(out, "simulated      %s\n", res.Simulated)
			fmt.Fprintf(out, "runs           %d %v\n", res.Runs, res.RunsByState)
			fmt.Fprintf(out, "tasks          %d %v\n", res.Tasks, res.TasksByState)
			fmt.Fprintf(out, "attempts       %d\n", res.Attempts)
			fmt.Fprintf(out, "wall seconds   %.1f\n", secs)
			fmt.Fprintf(out, "digest         %s\n", res.Digest)
			return nil
		},
	}
	cmd.Flags().IntVar(&opts.Pipelines, "pipelines", opts.Pipelines, "pipelines in the generated fleet")
	cmd.Flags().IntVar(&opts.Days, "days", opts.Days, "simulated days")
	cmd.Flags().Int64Var(&opts.Seed, "seed", opts.Seed, "seed of the fleet, durations, volumes and failures")
	cmd.Flags().IntVar(&opts.Agents, "agents", opts.Agents, "embedded agents")
	cmd.Flags().IntVar(&opts.Slots, "slots", opts.Slots, "slots per agent")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print one JSON object {"runs", "tasks", "seconds", "digest"}`)
	return cmd
}
