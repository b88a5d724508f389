package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/task"
)

func newAgentCmd() *cobra.Command {
	var (
		controller, token, id, workDir string
		capacity                       agent.Capacity
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run pipeline tasks for a Vigil controller on this machine.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if token == "" {
				token = os.Getenv("VIGIL_AGENT_TOKEN")
			}
			if id == "" {
				host, err := os.Hostname()
				if err != nil {
					return fmt.Errorf("--id not given and no hostname: %w", err)
				}
				id = fmt.Sprintf("%s-%d", host, os.Getpid())
			}
			rc, err := agent.NewRemoteController(controller, token, nil)
			if err != nil {
				return fmt.Errorf("--controller: %w", err)
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)).With("agent", id)
			reg := connector.NewRegistry(connector.Options{BaseDir: workDir})
			a, err := agent.New(agent.Options{ID: id, Capacity: capacity, Controller: rc, Runner: task.New(reg, logger, nil), Logger: logger})
			if err != nil {
				return err
			}
			logger.Info("agent started", "controller", controller, "slots", capacity.Slots, "work_dir", workDir)
			err = a.Run(ctx)
			logger.Info("agent stopped")
			return err
		},
	}
	cmd.Flags().StringVar(&controller, "controller", "", "the controller's URL, e.g. http://vigil.example.org:9750 (required)")
	cmd.Flags().StringVar(&token, "token", "", "an operator token (or set VIGIL_AGENT_TOKEN, which keeps it out of the process list)")
	cmd.Flags().StringVar(&id, "id", "", "the agent's unique name (default: hostname-pid)")
	cmd.Flags().StringVar(&workDir, "work-dir", ".", "where relative paths in connector settings resolve")
	cmd.Flags().IntVar(&capacity.Slots, "slots", 4, "attempts run at once")
	cmd.Flags().Float64Var(&capacity.CPU, "cpu", 0, "cores offered (0: not counted)")
	cmd.Flags().Int64Var(&capacity.Memory, "memory", 0, "bytes of memory offered (0: not counted)")
	_ = cmd.MarkFlagRequired("controller")
	return cmd
}
