package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-aiops/vigil/examples"
	"github.com/vigil-aiops/vigil/internal/app"
	"github.com/vigil-aiops/vigil/internal/demo"
)

// demoOptions shape `vigil demo`.
type demoOptions struct {
	listen, dataDir string
	// Every tick the demo triggers the example fleet's pipelines, faster
	// than their schedules, so that there is something to watch.
	tick time.Duration
	// The shop's API goes down firstFault after the start, for faultFor,
	// and again every faultEvery.
	firstFault, faultEvery, faultFor time.Duration
}

func newDemoCmd() *cobra.Command {
	o := demoOptions{listen: "127.0.0.1:9750", dataDir: "vigil-demo", tick: time.Minute,
		firstFault: 30 * time.Second, faultEvery: 5 * time.Minute, faultFor: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run Vigil on the example warehouse with faults injected now and then; the UI shows what happens.",
		Long: `demo runs the example warehouse (examples/pipelines: a shop API, a CRM export,
payments, staging and marts four pipelines deep) on an embedded Vigil (SQLite, the embedded
series store, in-process agents) in --data-dir, triggers its pipelines every --tick, and takes
the shop's API down now and then: the orders pipeline fails after its retries, an incident
opens on it with its downstream as symptoms, and clears when the API is back. Open the printed
address to watch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", o.listen, "address of the UI and API")
	cmd.Flags().StringVar(&o.dataDir, "data-dir", o.dataDir, "where the demo keeps its data (kept between runs)")
	cmd.Flags().DurationVar(&o.tick, "tick", o.tick, "how often the pipelines are triggered")
	cmd.Flags().DurationVar(&o.firstFault, "first-fault", o.firstFault, "when the shop's API first goes down")
	cmd.Flags().DurationVar(&o.faultEvery, "fault-every", o.faultEvery, "how often it goes down again")
	cmd.Flags().DurationVar(&o.faultFor, "fault-for", o.faultFor, "how long each outage lasts")
	return cmd
}

func runDemo(ctx context.Context, o demoOptions, out, logs io.Writer) error {
	if o.tick <= 0 || o.faultEvery <= 0 || o.faultFor <= 0 || o.firstFault < 0 {
		return fmt.Errorf("demo: --tick, --fault-every and --fault-for must be positive")
	}
	dir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	pipes := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(pipes, 0o750); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The example points at Vigil's default address; the copy points at
	// this one.
	err = fs.WalkDir(examples.Pipelines, "pipelines", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(examples.Pipelines, p)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte("127.0.0.1:9750"), []byte(o.listen))
		return os.WriteFile(filepath.Join(pipes, filepath.Base(p)), b, 0o600)
	})
	if err != nil {
		return fmt.Errorf("demo: write the example pipelines: %w", err)
	}
	cfg := filepath.Join(dir, "vigil.yaml")
	conf := fmt.Sprintf("# Written by vigil demo.\nstorage:\n  data_dir: %s\netl:\n  pipelines_dir: %s\n  demo_shop: true\n  metrics_interval: 15s\n"+
		"remediation:\n  policies:\n    - {name: retry-failed-runs, when: 'incident.kind == \"run_failure\"', action: retry_run, cooldown: 1m, max_per_hour: 20}\n",
		filepath.Join(dir, "data"), pipes)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	var down atomic.Bool
	shop := &demo.Shop{Outage: down.Load}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, app.Options{ConfigFile: cfg, Listen: o.listen, LogOutput: logs, Shop: shop})
	if err != nil {
		return err
	}
	base := "http://" + a.Addr()
	fmt.Fprintf(out, "Vigil demo: open %s (the UI); incidents at %s/api/v1/incidents; data in %s.\n", base, base, dir)
	fmt.Fprintf(out, "The shop's API goes down %s from now for %s, then every %s.\n", o.firstFault, o.faultFor, o.faultEvery)

	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	go drive(ctx, base, o, &down, out)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return <-done
	}
}

// drive triggers the fleet every tick and takes the shop down on schedule.
func drive(ctx context.Context, base string, o demoOptions, down *atomic.Bool, out io.Writer) {
	trigger := func(now time.Time) {
		logical := now.UTC().Truncate(time.Second).Format(time.RFC3339)
		for _, p := range []string{"crm_export", "orders", "payments", "orders_enriched", "daily_report"} {
			body := fmt.Sprintf(`{"reason": "vigil demo", "logical_time": %q}`, logical)
			req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/pipelines/"+p+"/trigger", strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if res, err := http.DefaultClient.Do(req); err == nil {
				_ = res.Body.Close()
			}
		}
	}
	tick := time.NewTicker(o.tick)
	defer tick.Stop()
	fault := time.NewTimer(o.firstFault)
	defer fault.Stop()
	var heal <-chan time.Time
	trigger(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			trigger(now)
		case now := <-fault.C:
			down.Store(true)
			fmt.Fprintf(out, "%s fault injected: the shop's API is down for %s; the orders pipeline will fail after its retries.\n", now.Format(time.TimeOnly), o.faultFor)
			heal = time.After(o.faultFor)
			fault.Reset(o.faultEvery)
		case now := <-heal:
			down.Store(false)
			heal = nil
			fmt.Fprintf(out, "%s fault over: the shop's API is back; the next orders run clears the incident.\n", now.Format(time.TimeOnly))
		}
	}
}
