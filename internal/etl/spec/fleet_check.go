package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-aiops/vigil/internal/suggest"
)

// producer is the task that writes a dataset.
type producer struct {
	pipeline *Pipeline
	task     string
}

func (p producer) id() NodeID { return TaskID(p.pipeline.Name, p.task) }

// fleetIndex is what the checks between pipelines, and the graph, need to
// know about a set of pipelines.
type fleetIndex struct {
	pipelines []*Pipeline // by name, duplicates left out
	byName    map[string]*Pipeline
	external  []string // sorted, duplicates left out
	producers map[string]producer
}

// checkFleet checks what no pipeline can check alone: unique names, the
// datasets and pipelines referred to, one producer per dataset, and no
// cycle between pipelines. fleetFile names the file that declared external,
// if any. When refsKnown is false, some file could not be decoded, and
// references to unknown datasets and pipelines are not reported, since they
// may be defined there.
func checkFleet(pipelines []*Pipeline, external []string, fleetFile string, refsKnown bool) (*fleetIndex, Problems) {
	var ps Problems
	report := func(file, field, format string, args ...any) {
		ps = append(ps, Problem{File: file, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	x := &fleetIndex{byName: map[string]*Pipeline{}, producers: map[string]producer{}}

	sortedPipelines := slices.Clone(pipelines)
	slices.SortStableFunc(sortedPipelines, func(a, b *Pipeline) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range sortedPipelines {
		if first, dup := x.byName[p.Name]; dup {
			if p.Name != "" {
				report(p.File, "name", "pipeline %q is also defined in %s", p.Name, first.File)
			}
			continue
		}
		x.byName[p.Name] = p
		x.pipelines = append(x.pipelines, p)
	}

	isExternal := map[string]bool{}
	for i, d := range external {
		field := fmt.Sprintf("external[%d]", i)
		switch err := checkDataset(d); {
		case err != nil:
			report(fleetFile, field, "%v", err)
		case isExternal[d]:
			report(fleetFile, field, "dataset %q is listed twice", d)
		default:
			x.external = append(x.external, d)
		}
		isExternal[d] = true
	}
	slices.Sort(x.external)

	for _, p := range x.pipelines {
		for i, t := range p.Tasks {
			for j, d := range t.Outputs {
				field := fmt.Sprintf("%s.outputs[%d]", taskField(i, t.Name), j)
				first, dup := x.producers[d]
				switch {
				case dup && first.pipeline != p:
					report(p.File, field, "dataset %q is also produced by %s (%s)", d, first.id(), first.pipeline.File)
				case dup:
					// Two producers in one pipeline: Validate reports it.
				case isExternal[d]:
					report(p.File, field, "dataset %q is declared external in %s, yet this task produces it", d, fleetFile)
				default:
					x.producers[d] = producer{pipeline: p, task: t.Name}
				}
			}
		}
	}

	for _, p := range x.pipelines {
		for i, a := range p.Schedule.After {
			if src, ok := x.producers[a.Name()]; ok && a.Kind() == NodeDataset && src.pipeline == p {
				report(p.File, fmt.Sprintf("schedule.after[%d]", i),
					"dataset %q is written by this pipeline (%s), which would trigger itself", a.Name(), src.id())
			}
		}
	}
	if refsKnown {
		ps = append(ps, x.checkReferences()...)
	}
	for _, cyc := range x.pipelineGraph().cycles() {
		report(x.byName[cyc[0]].File, "", "pipelines depend on each other in a cycle: %s", strings.Join(cyc, " -> "))
	}
	return x, ps
}

// checkReferences reports inputs and after: entries that name datasets and
// pipelines the fleet does not have.
func (x *fleetIndex) checkReferences() Problems {
	var ps Problems
	datasets := x.datasets()
	var names []string
	for _, p := range x.pipelines {
		names = append(names, p.Name)
	}
	for _, p := range x.pipelines {
		for i, t := range p.Tasks {
			for j, d := range t.Inputs {
				if checkDataset(d) != nil || x.known(d) {
					continue
				}
				ps = append(ps, Problem{File: p.File, Field: fmt.Sprintf("%s.inputs[%d]", taskField(i, t.Name), j),
					Message: unknownDataset(d, datasets)})
			}
		}
		for i, a := range p.Schedule.After {
			field := fmt.Sprintf("schedule.after[%d]", i)
			switch a.Kind() {
			case NodePipeline:
				if x.byName[a.Name()] == nil && checkName(a.Name()) == nil {
					ps = append(ps, Problem{File: p.File, Field: field,
						Message: unknownPipeline(a.Name(), names)})
				}
			case NodeDataset:
				if checkDataset(a.Name()) == nil && !x.known(a.Name()) {
					ps = append(ps, Problem{File: p.File, Field: field,
						Message: unknownDataset(a.Name(), datasets)})
				}
			}
		}
	}
	return ps
}

// unknownDataset is the message for a dataset nobody makes.
func unknownDataset(d string, known []string) string {
	if s := suggest.DidYouMean(d, known); s != "" {
		return fmt.Sprintf("unknown dataset %q%s", d, s)
	}
	return fmt.Sprintf("unknown dataset %q: no task writes it; if it is made outside Vigil, list it under external: in %s", d, FleetFileName)
}

// unknownPipeline is the message for an after: entry naming a pipeline the
// fleet does not have.
func unknownPipeline(name string, known []string) string {
	if s := suggest.Closest(name, known); s != "" {
		return fmt.Sprintf("unknown pipeline %q (did you mean %q?)", name, PipelineID(s))
	}
	return fmt.Sprintf("unknown pipeline %q", name)
}

// known reports whether dataset d is written by a task or external.
func (x *fleetIndex) known(d string) bool {
	_, produced := x.producers[d]
	return produced || slices.Contains(x.external, d)
}

// datasets returns every dataset written by a task or external, sorted.
func (x *fleetIndex) datasets() []string {
	out := slices.Clone(x.external)
	for d := range x.producers {
		out = append(out, d)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pipelineGraph returns the dependencies between pipelines: an edge a -> b
// when b runs after a, after a dataset a writes, or has a task that reads
// a dataset a writes.
func (x *fleetIndex) pipelineGraph() *digraph {
	g := newDigraph()
	for _, p := range x.pipelines {
		g.addNode(p.Name)
	}
	dependsOn := func(b *Pipeline, dataset string) {
		if src, ok := x.producers[dataset]; ok && src.pipeline != b {
			g.addEdge(src.pipeline.Name, b.Name)
		}
	}
	for _, p := range x.pipelines {
		for _, a := range p.Schedule.After {
			switch a.Kind() {
			case NodePipeline:
				if up := x.byName[a.Name()]; up != nil && up != p {
					g.addEdge(up.Name, p.Name)
				}
			case NodeDataset:
				dependsOn(p, a.Name())
			}
		}
		for _, t := range p.Tasks {
			for _, d := range t.Inputs {
				dependsOn(p, d)
			}
		}
	}
	return g
}
