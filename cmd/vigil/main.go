// Command vigil is the AIOps engine and ETL runtime in one binary. This file
// only turns flags and signals into calls of internal/app.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/internal/app"
)

// Set at link time: go build -ldflags "-X main.version=v0.1.0 -X main.revision=...".
var (
	version   = "dev"
	revision  = "unknown"
	branch    = "unknown"
	buildUser = "unknown"
	buildDate = "unknown"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(1)
	}
}

func buildInfo() app.BuildInfo {
	return app.BuildInfo{Version: version, Revision: revision, Branch: branch, BuildUser: buildUser, BuildDate: buildDate}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Vigil watches, explains and heals data pipelines.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newDemoCmd(), newCheckConfigCmd(), newVersionCmd(), newBenchCmd(), newSimCmd(), newAgentCmd(),
		newPipelinesCmd(), newRunsCmd(), newCircuitsCmd(), newAgentsCmd())
	return root
}

func addConfigFlags(cmd *cobra.Command, opts *app.Options) {
	cmd.Flags().StringVar(&opts.ConfigFile, "config", "", "configuration file (vigil.yaml); defaults are used without one")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "data directory (overrides storage.data_dir; default ./data)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "listen address (overrides server.listen; default 127.0.0.1:9750)")
}

func newServeCmd() *cobra.Command {
	opts := app.Options{Build: buildInfo()}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Vigil: store and query telemetry, serve the API.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.New(ctx, opts)
			if err != nil {
				return err
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-hup:
						_ = a.Reload() // The app logs the outcome and keeps the last good config.
					case <-ctx.Done():
						return
					}
				}
			}()
			return a.Run(ctx)
		},
	}
	addConfigFlags(cmd, &opts)
	return cmd
}

func newCheckConfigCmd() *cobra.Command {
	var opts app.Options
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Validate a configuration file and exit.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := app.LoadConfig(opts); err != nil {
				return err
			}
			name := opts.ConfigFile
			if name == "" {
				name = "the defaults"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: configuration is valid\n", name)
			return nil
		},
	}
	addConfigFlags(cmd, &opts)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version.",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "vigil %s (revision %s, branch %s, built %s by %s, %s)\n",
				version, revision, branch, buildDate, buildUser, runtime.Version())
		},
	}
}
