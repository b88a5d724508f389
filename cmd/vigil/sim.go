package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/chaos"
	"github.com/vigil-aiops/vigil/internal/etl"
)

func newSimCmd() *cobra.Command {
	var (
		opts          = etl.SimOptions{Pipelines: 50, Days: 7, Seed: 1, Agents: 4, Slots: 4}
		asJSON        bool
		faultsPerKind int
		truthFile     string
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a generated fleet of pipelines on a simulated clock through the real controller and agents.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Logger = slog.New(slog.DiscardHandler)
			fmt.Fprintf(cmd.ErrOrStderr(), "simulating %d pipelines for %d days (seed %d)…\n", opts.Pipelines, opts.Days, opts.Seed)
			faults := 0
			if faultsPerKind > 0 {
				n, closeTruth, err := injectFaults(&opts, faultsPerKind, truthFile)
				if err != nil {
					return err
				}
				defer closeTruth()
				faults = n
				fmt.Fprintf(cmd.ErrOrStderr(), "injecting %d faults; ground truth in %s\n", n, truthFile)
			}
			began := time.Now()
			res, err := etl.Simulate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			secs := time.Since(began).Seconds()
			out := cmd.OutOrStdout()
			if asJSON {
				obj := map[string]any{"runs": res.Runs, "tasks": res.Tasks, "seconds": secs, "digest": res.Digest}
				if faults > 0 {
					obj["faults"] = faults
				}
				return json.NewEncoder(out).Encode(obj)
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
	cmd.Flags().IntVar(&faultsPerKind, "faults-per-kind", 0, "inject this many faults of every kind, planned from the seed")
	cmd.Flags().StringVar(&truthFile, "truth", "sim-truth.jsonl", "where the faults' ground truth goes (JSON lines)")
	return cmd
}

// injectFaults plans faults over the fleet the simulation will generate and
// wires an injector into opts; it returns the number of faults and a
// function that closes the ground-truth file.
func injectFaults(opts *etl.SimOptions, perKind int, truthFile string) (int, func(), error) {
	fleet, err := etl.GenerateFleet(opts.Pipelines, opts.Seed)
	if err != nil {
		return 0, nil, err
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC) // Simulate's default start.
		opts.Start = start
	}
	var agents []string
	for i := range opts.Agents + 1 {
		agents = append(agents, fmt.Sprintf("embedded-%02d", i))
	}
	plan, err := chaos.Plan(opts.Seed, chaos.FleetTargets(fleet, agents), start, opts.Days, perKind)
	if err != nil {
		return 0, nil, err
	}
	f, err := os.Create(truthFile)
	if err != nil {
		return 0, nil, fmt.Errorf("--truth: %w", err)
	}
	inj, err := chaos.New(chaos.Options{Schedule: plan, Truth: chaos.NewJSONLWriter(f), Fleet: fleet})
	if err != nil {
		f.Close()
		return 0, nil, err
	}
	opts.Wrap = inj.Wrap
	return len(plan), func() { _ = f.Close() }, nil
}
