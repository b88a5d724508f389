package etl

import (
	"fmt"
	"slices"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// dag is the task graph of a pipeline in the spec's topological order
// (spec.Pipeline.TaskOrder): a task's position is its index in that order
// and its upstream tasks have smaller positions, so one pass over a run's
// tasks in position order resolves cascades.
type dag struct {
	tasks []*spec.Task
	pos   map[string]int
	deps  [][]int // Positions of each task's upstream tasks, ascending.
}

// newDAG orders p's tasks. Task b depends on task a when b lists a in
// depends_on or reads a dataset a writes, as package spec defines it.
func newDAG(p *spec.Pipeline) (*dag, error) {
	order, err := p.TaskOrder()
	if err != nil {
		return nil, err
	}
	g := &dag{pos: make(map[string]int, len(order)), deps: make([][]int, len(order))}
	for i, name := range order {
		t := p.Task(name)
		if t == nil {
			return nil, fmt.Errorf("pipeline %s: task order names unknown task %q", p.Name, name)
		}
		g.tasks = append(g.tasks, t)
		g.pos[name] = i
	}
	producer := make(map[string]string)
	for _, t := range g.tasks {
		for _, d := range t.Outputs {
			if _, ok := producer[d]; !ok {
				producer[d] = t.Name
			}
		}
	}
	for i, t := range g.tasks {
		up := slices.Clone(t.DependsOn)
		for _, d := range t.Inputs {
			if name, ok := producer[d]; ok {
				up = append(up, name)
			}
		}
		for _, name := range up {
			j, ok := g.pos[name]
			if !ok {
				return nil, fmt.Errorf("pipeline %s: task %s depends on unknown task %q", p.Name, t.Name, name)
			}
			if j == i || slices.Contains(g.deps[i], j) {
				continue
			}
			if j > i {
				return nil, fmt.Errorf("pipeline %s: task order puts %s before its upstream task %s", p.Name, t.Name, name)
			}
			g.deps[i] = append(g.deps[i], j)
		}
		slices.Sort(g.deps[i])
	}
	return g, nil
}
