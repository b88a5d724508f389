package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/bench/rca"
)

func newBenchRCACmd() *cobra.Command {
	var (
		cases  string
		twin   bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "rca",
		Short: "Root-cause ranking on public multivariate cases (--cases DIR, RCAEval layout): AC@1, AC@3, Avg@5.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if twin {
				return errors.New("bench rca --twin: not built yet: the twin's faults are not ranked by RCA yet (issue 9); use --cases")
			}
			if cases == "" {
				return errors.New("bench rca: --cases DIR is required")
			}
			rep, err := rca.Run(cases, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			fmt.Fprintf(out, "cases  %d\nAC@1   %.3f\nAC@3   %.3f\nAvg@5  %.3f\nseconds %.1f\n", rep.Cases, rep.AC1, rep.AC3, rep.Avg5, rep.Seconds)
			for _, f := range rep.Failed {
				fmt.Fprintf(out, "failed: %s\n", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cases, "cases", "", "folder of cases: <component>-<fault>/<n>/{normal,anomalous}.csv")
	cmd.Flags().BoolVar(&twin, "twin", false, "rank the digital twin's faults (not built yet)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print one JSON object {"cases", "ac1", "ac3", "avg5"}`)
	return cmd
}
