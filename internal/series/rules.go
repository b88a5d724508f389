package series

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/rules"
)

// RuleAlert is one alert of a PromQL alerting rule, as Vigil's incident
// manager sees it: firing, or resolved.
type RuleAlert struct {
	Name        string
	Expr        string
	Labels      map[string]string
	Annotations map[string]string
	Value       float64
	Firing      bool
	ActiveAt    time.Time
	ResolvedAt  time.Time
}

// RulesOptions configure rule evaluation.
type RulesOptions struct {
	// Interval is the default evaluation interval of groups without one.
	Interval time.Duration
	// Notify receives the alerts to send after each evaluation, as
	// Prometheus would send them to Alertmanager.
	Notify     func([]RuleAlert)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Rules evaluates Prometheus rule files (recording and alerting rules, with
// for, keep_firing_for, labels and templated annotations) on the store,
// with Prometheus's own rule manager.
type Rules struct {
	m    *rules.Manager
	opts RulesOptions
}

// NewRules returns a rule evaluator writing recording rules into s.
func (s *Store) NewRules(opts RulesOptions) *Rules {
	ctx := context.Background()
	r := &Rules{opts: opts}
	r.m = rules.NewManager(&rules.ManagerOptions{
		ExternalURL:  &url.URL{Scheme: "http", Host: "vigil"},
		QueryFunc:    rules.EngineQueryFunc(s.engine, s.queryable()),
		NotifyFunc:   r.notify,
		Context:      ctx,
		AppendableV2: s,
		Queryable:    s.db,
		Logger:       opts.Logger.With("component", "rules"),
		Registerer:   prometheus.WrapRegistererWithPrefix("vigil_", opts.Registerer),
		ResendDelay:  time.Minute,
	})
	return r
}

func (r *Rules) notify(_ context.Context, expr string, alerts ...*rules.Alert) {
	if r.opts.Notify == nil || len(alerts) == 0 {
		return
	}
	out := make([]RuleAlert, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, RuleAlert{
			Name: a.Labels.Get(labels.AlertName), Expr: expr, Labels: a.Labels.Map(), Annotations: a.Annotations.Map(),
			Value: a.Value, Firing: a.ResolvedAt.IsZero(), ActiveAt: a.ActiveAt, ResolvedAt: a.ResolvedAt,
		})
	}
	r.opts.Notify(out)
}

// Apply loads the rule files matching the glob patterns. A file that does
// not load (bad YAML, a PromQL error, a bad template) is reported with its
// file, group and rule, and the rules in force stay as they were.
func (r *Rules) Apply(patterns []string) error {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return fmt.Errorf("rule_files %q: %w", p, err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	// Load first to report every problem in full; Update only logs them.
	if _, errs := r.m.LoadGroups(r.opts.Interval, labels.EmptyLabels(), "", nil, false, files...); len(errs) > 0 {
		return fmt.Errorf("rule files not loaded, the previous rules stay in force: %w", errors.Join(errs...))
	}
	if err := r.m.Update(r.opts.Interval, files, labels.EmptyLabels(), "", nil); err != nil {
		return fmt.Errorf("apply rule files: %w", err)
	}
	return nil
}

// Run evaluates the rules until ctx ends.
func (r *Rules) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { r.m.Run(); close(done) }()
	<-ctx.Done()
	r.m.Stop()
	<-done
	return nil
}
