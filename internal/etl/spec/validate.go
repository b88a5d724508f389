package spec

import (
	"fmt"
	"strings"

	"github.com/vigil-aiops/vigil/internal/suggest"
)

// Validate checks p on its own: everything but whether the datasets and
// pipelines it refers to exist, which only a fleet knows (see NewFleet and
// LoadDir). It reports every problem at once, as Problems.
func (p *Pipeline) Validate(opts ...Option) error {
	o := newOptions(opts)
	c := &collector{file: p.File}
	p.validate(c, o)
	return c.err()
}

func (p *Pipeline) validate(c *collector, o options) {
	if err := checkName(p.Name); err != nil {
		c.add("name", "%v", err)
	}
	p.validateSchedule(c)
	if !p.Catchup.Valid() {
		c.add("catchup", "%q is not one of none, latest, all%s", p.Catchup,
			suggest.DidYouMean(string(p.Catchup), []string{"none", "latest", "all"}))
	}
	if p.MaxActiveRuns < 1 {
		c.add("max_active_runs", "%d is less than 1", p.MaxActiveRuns)
	}
	if p.SLA < 0 {
		c.add("sla", "must not be negative")
	}
	if p.Freshness < 0 {
		c.add("freshness", "must not be negative")
	}
	if len(p.Tasks) == 0 {
		c.add("tasks", "a pipeline needs at least one task")
	}
	first := map[string]int{}
	var names []string
	for i, t := range p.Tasks {
		if _, dup := first[t.Name]; !dup && t.Name != "" {
			first[t.Name] = i
			names = append(names, t.Name)
		}
	}
	producer := map[string]string{}
	for i, t := range p.Tasks {
		if j := first[t.Name]; j != i && t.Name != "" {
			c.add(taskField(i, t.Name)+".name", "%q is also the name of tasks[%d]", t.Name, j)
		}
		t.validate(c, o, taskField(i, t.Name), names)
		for j, d := range t.Outputs {
			if other, dup := producer[d]; dup && other != t.Name {
				c.add(fmt.Sprintf("%s.outputs[%d]", taskField(i, t.Name), j),
					"dataset %q is also produced by task %q", d, other)
				continue
			}
			producer[d] = t.Name
		}
	}
	for _, cyc := range p.taskGraph().cycles() {
		c.add("tasks", "tasks depend on each other in a cycle: %s", strings.Join(cyc, " -> "))
	}
}

func (p *Pipeline) validateSchedule(c *collector) {
	s := p.Schedule
	var set []string
	if s.Cron != "" {
		set = append(set, "cron")
		if _, err := parseCron(s.Cron); err != nil {
			c.add("schedule.cron", "%v", err)
		}
	}
	if s.Interval != 0 {
		set = append(set, "interval")
		if _, err := newIntervalClock(s.Interval); err != nil {
			c.add("schedule.interval", "%v", err)
		}
	}
	if s.After != nil {
		set = append(set, "after")
		p.validateAfter(c)
	}
	switch len(set) {
	case 0:
		c.add("schedule", "one of cron, interval (positive) or after must be set")
	case 1:
	default:
		c.add("schedule", "set only one of cron, interval and after, not %s", strings.Join(set, " and "))
	}
}

func (p *Pipeline) validateAfter(c *collector) {
	if len(p.Schedule.After) == 0 {
		c.add("schedule.after", "must list at least one pipeline:<name> or dataset:<name>")
	}
	seen := map[NodeID]bool{}
	for i, a := range p.Schedule.After {
		field := fmt.Sprintf("schedule.after[%d]", i)
		switch {
		case a.Kind() == "" && isIdent(string(a)):
			c.add(field, "%q needs its kind: write %s", a, PipelineID(string(a)))
			continue
		case a.Kind() == "" && isDatasetName(string(a)):
			c.add(field, "%q needs its kind: write %s", a, DatasetID(string(a)))
			continue
		}
		if _, err := ParseNodeID(string(a)); err != nil {
			c.add(field, "%v", err)
			continue
		}
		switch {
		case a.Kind() == NodeTask:
			c.add(field, "%q: a schedule waits for a pipeline or a dataset, not a task; use %s", a, PipelineID(a.Pipeline()))
		case a == PipelineID(p.Name):
			c.add(field, "%q is this pipeline", a)
		case seen[a]:
			c.add(field, "%q is listed twice", a)
		}
		seen[a] = true
	}
}

// taskGraph returns the DAG of p's tasks: an edge a -> b when b depends on
// a, or reads a dataset that a writes. A task that reads what it writes
// adds no edge; that is reported on its own.
func (p *Pipeline) taskGraph() *digraph {
	g := newDigraph()
	producer := map[string]string{}
	for _, t := range p.Tasks {
		if t.Name == "" {
			continue
		}
		g.addNode(t.Name)
		for _, d := range t.Outputs {
			if _, ok := producer[d]; !ok {
				producer[d] = t.Name
			}
		}
	}
	for _, t := range p.Tasks {
		if t.Name == "" {
			continue
		}
		for _, dep := range t.DependsOn {
			if _, ok := g.succ[dep]; ok && dep != t.Name {
				g.addEdge(dep, t.Name)
			}
		}
		for _, d := range t.Inputs {
			if u, ok := producer[d]; ok && u != t.Name {
				g.addEdge(u, t.Name)
			}
		}
	}
	return g
}

// TaskOrder returns the names of p's tasks in an order that respects
// their dependencies, taking the first by name among tasks ready at the same
// time, so that the order is the same on every call and every machine. It
// fails when the tasks depend on each other in a cycle.
func (p *Pipeline) TaskOrder() ([]string, error) {
	g := p.taskGraph()
	order, ok := g.order()
	if !ok {
		cyc := g.cycles()
		return nil, fmt.Errorf("pipeline %q: tasks depend on each other in a cycle: %s", p.Name, strings.Join(cyc[0], " -> "))
	}
	return order, nil
}
