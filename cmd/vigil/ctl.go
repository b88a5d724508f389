package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// ctlClient calls a running Vigil's API for the control commands.
type ctlClient struct {
	base, token string
}

func addCtlFlags(cmd *cobra.Command, c *ctlClient) {
	cmd.PersistentFlags().StringVar(&c.base, "url", "http://127.0.0.1:9750", "the Vigil to talk to")
	cmd.PersistentFlags().StringVar(&c.token, "token", "", "an API token (or set VIGIL_TOKEN)")
}

func (c *ctlClient) do(cmd *cobra.Command, method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	token := c.token
	if token == "" {
		token = os.Getenv("VIGIL_TOKEN")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(out, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(out)))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "ok")
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
	return err
}

// newPipelinesCmd and the commands below are thin clients of the HTTP API:
// every control action needs --reason, and is recorded with the token's
// name and that reason.
func newPipelinesCmd() *cobra.Command {
	var c ctlClient
	var reason, logical string
	cmd := &cobra.Command{Use: "pipelines", Short: "List and control pipelines of a running Vigil."}
	addCtlFlags(cmd, &c)
	cmd.PersistentFlags().StringVar(&reason, "reason", "", "why (required for control actions; recorded)")
	action := func(use, short string, body func() map[string]any) *cobra.Command {
		return &cobra.Command{Use: use + " PIPELINE", Short: short, Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			b := body()
			b["reason"] = reason
			return c.do(cmd, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(args[0])+"/"+strings.Fields(use)[0], b)
		}}
	}
	trigger := action("trigger", "Start a run now, or for --logical-time.", func() map[string]any {
		if logical != "" {
			return map[string]any{"logical_time": logical}
		}
		return map[string]any{}
	})
	trigger.Flags().StringVar(&logical, "logical-time", "", "the slot to run (RFC 3339); default now")
	degrade := action("degrade", "Skip the pipeline's optional tasks (--off to stop).", nil)
	var off bool
	degrade.Flags().BoolVar(&off, "off", false, "stop degrading")
	degrade.RunE = func(cmd *cobra.Command, args []string) error {
		return c.do(cmd, http.MethodPost, "/api/v1/pipelines/"+url.PathEscape(args[0])+"/degrade", map[string]any{"degraded": !off, "reason": reason})
	}
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List pipelines.", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			return c.do(cmd, http.MethodGet, "/api/v1/pipelines", nil)
		}},
		trigger,
		action("pause", "Stop scheduling and dispatching the pipeline.", func() map[string]any { return map[string]any{} }),
		action("resume", "Undo pause.", func() map[string]any { return map[string]any{} }),
		degrade,
	)
	return cmd
}

func newRunsCmd() *cobra.Command {
	var c ctlClient
	var reason, pipeline, stateFilter, task string
	cmd := &cobra.Command{Use: "runs", Short: "List, inspect, retry and cancel runs of a running Vigil."}
	addCtlFlags(cmd, &c)
	cmd.PersistentFlags().StringVar(&reason, "reason", "", "why (required for retry and cancel; recorded)")
	list := &cobra.Command{Use: "list", Short: "List runs, newest first.", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		if pipeline != "" {
			q.Set("pipeline", pipeline)
		}
		if stateFilter != "" {
			q.Set("state", stateFilter)
		}
		return c.do(cmd, http.MethodGet, "/api/v1/runs?"+q.Encode(), nil)
	}}
	list.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline")
	list.Flags().StringVar(&stateFilter, "state", "", "only runs in this state")
	runPath := func(id string) (string, error) {
		p, logical, ok := strings.Cut(id, "/")
		if !ok {
			return "", fmt.Errorf("run ID %q is not <pipeline>/<logical time>", id)
		}
		return "/api/v1/runs/" + url.PathEscape(p) + "/" + url.PathEscape(logical), nil
	}
	show := &cobra.Command{Use: "show RUN_ID", Short: "A run with its tasks.", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		p, err := runPath(args[0])
		if err != nil {
			return err
		}
		return c.do(cmd, http.MethodGet, p, nil)
	}}
	logs := &cobra.Command{Use: "logs RUN_ID --task TASK", Short: "A task's log lines.", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		p, err := runPath(args[0])
		if err != nil {
			return err
		}
		return c.do(cmd, http.MethodGet, p+"/logs?task="+url.QueryEscape(task), nil)
	}}
	logs.Flags().StringVar(&task, "task", "", "the task (required)")
	action := func(verb, short string) *cobra.Command {
		return &cobra.Command{Use: verb + " RUN_ID", Short: short, Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			p, err := runPath(args[0])
			if err != nil {
				return err
			}
			return c.do(cmd, http.MethodPost, p+"/"+verb, map[string]any{"reason": reason})
		}}
	}
	cmd.AddCommand(list, show, logs, action("retry", "Run the failed tasks of a run again."), action("cancel", "Cancel a run."))
	return cmd
}

func newCircuitsCmd() *cobra.Command {
	var c ctlClient
	var reason string
	cmd := &cobra.Command{Use: "circuits", Short: "Open or close the circuit of a connector endpoint (tasks using it wait)."}
	addCtlFlags(cmd, &c)
	cmd.PersistentFlags().StringVar(&reason, "reason", "", "why (required; recorded)")
	for _, verb := range []string{"open", "close"} {
		cmd.AddCommand(&cobra.Command{Use: verb + " ENDPOINT", Short: verb + " the circuit, e.g. http:api.example.org:443 or sqlite:warehouse.db", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.do(cmd, http.MethodPost, "/api/v1/circuits/"+url.PathEscape(args[0])+"/"+verb, map[string]any{"reason": reason})
			}})
	}
	return cmd
}

func newAgentsCmd() *cobra.Command {
	var c ctlClient
	var reason string
	var size, slots int
	cmd := &cobra.Command{Use: "agents", Short: "Scale the in-process agent pool of a running Vigil."}
	addCtlFlags(cmd, &c)
	scale := &cobra.Command{Use: "scale", Short: "Set the pool's size and/or slots per agent.", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		body := map[string]any{"reason": reason}
		if cmd.Flags().Changed("size") {
			body["size"] = size
		}
		if cmd.Flags().Changed("slots") {
			body["slots"] = slots
		}
		return c.do(cmd, http.MethodPost, "/api/v1/agent-pool", body)
	}}
	scale.Flags().IntVar(&size, "size", 0, "agents in the pool")
	scale.Flags().IntVar(&slots, "slots", 0, "slots per agent")
	scale.Flags().StringVar(&reason, "reason", "", "why (required; recorded)")
	cmd.AddCommand(scale)
	return cmd
}
