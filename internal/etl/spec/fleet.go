package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FleetFileName is the optional file of a pipeline directory that holds
// what belongs to no single pipeline.
const FleetFileName = "_fleet.yaml"

// FleetFile is the content of _fleet.yaml.
type FleetFile struct {
	// External lists the datasets that tasks may read although no task of
	// the fleet writes them: tables and APIs made outside Vigil.
	External []string `yaml:"external"`
}

// Fleet is a valid set of pipelines: each valid on its own, and together
// consistent (unique names, every dataset read is written by one task or
// declared external, no cycle between pipelines). It is read-only once
// made; its Graph answers lineage questions.
type Fleet struct {
	pipelines []*Pipeline
	byName    map[string]*Pipeline
	external  []string
	graph     *Graph
}

// Pipelines returns the pipelines in name order.
func (f *Fleet) Pipelines() []*Pipeline { return slices.Clone(f.pipelines) }

// Pipeline returns the pipeline called name, or nil.
func (f *Fleet) Pipeline(name string) *Pipeline { return f.byName[name] }

// External returns the external datasets, sorted.
func (f *Fleet) External() []string { return slices.Clone(f.external) }

// Graph returns the lineage graph of the fleet.
func (f *Fleet) Graph() *Graph { return f.graph }

// newFleet makes a fleet of checked pipelines.
func newFleet(x *fleetIndex) *Fleet {
	return &Fleet{pipelines: x.pipelines, byName: x.byName, external: x.external, graph: newGraph(x)}
}

// NewFleet validates pipelines, each on its own and all together, and makes
// them a fleet; external lists the datasets made outside Vigil. The error,
// when something is wrong, is Problems. The pipelines must not be changed
// afterwards.
func NewFleet(pipelines []*Pipeline, external []string, opts ...Option) (*Fleet, error) {
	o := newOptions(opts)
	var ps Problems
	for _, p := range pipelines {
		c := &collector{file: p.File}
		p.validate(c, o)
		ps = append(ps, c.list...)
	}
	x, fleetProblems := checkFleet(pipelines, external, "", true)
	ps = append(ps, fleetProblems...)
	if len(ps) > 0 {
		return nil, ps
	}
	return newFleet(x), nil
}

// LoadDir reads every *.yaml file of dir as a pipeline spec, and
// _fleet.yaml, if there is one, as the fleet file; it ignores
// subdirectories, hidden files and files of other types, but refuses .yml
// files and other files starting with _, which would otherwise be ignored
// by mistake. It reports every problem of every file at once, as Problems;
// when a file cannot be decoded at all, its pipeline is missing from the
// checks between pipelines, so references to what it defines are not
// reported as unknown until it decodes.
func LoadDir(dir string, opts ...Option) (*Fleet, error) {
	o := newOptions(opts)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read pipeline directory: %w", err)
	}
	var (
		ps        Problems
		pipelines []*Pipeline
		external  []string
		fleetFile string
		undecoded bool // some file could not be read or decoded
	)
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case e.IsDir() || strings.HasPrefix(name, "."):
			continue
		case name == FleetFileName:
			ff, fps := readFleetFile(path)
			if fps != nil {
				ps, undecoded = append(ps, fps...), true
				continue
			}
			external, fleetFile = ff.External, path
		case strings.HasSuffix(name, ".yml"):
			ps = append(ps, Problem{File: path, Message: "pipeline files end in .yaml; rename it, or it is ignored"})
		case !strings.HasSuffix(name, ".yaml"):
			continue
		case strings.HasPrefix(name, "_"):
			ps = append(ps, Problem{File: path, Message: fmt.Sprintf("names starting with _ are reserved; the only such file is %s", FleetFileName)})
		default:
			p, pps := readPipeline(path)
			if pps != nil {
				ps, undecoded = append(ps, pps...), true
				continue
			}
			c := &collector{file: path}
			p.validate(c, o)
			ps = append(ps, c.list...)
			pipelines = append(pipelines, p)
		}
	}
	x, fleetProblems := checkFleet(pipelines, external, fleetFile, !undecoded)
	ps = append(ps, fleetProblems...)
	if len(ps) > 0 {
		slices.SortStableFunc(ps, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
		return nil, ps
	}
	return newFleet(x), nil
}

// readPipeline reads and decodes one pipeline spec.
func readPipeline(path string) (*Pipeline, Problems) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{readProblem(path, err)}
	}
	return decodePipeline(path, b)
}

// readFleetFile reads and decodes _fleet.yaml strictly; an empty one
// declares nothing.
func readFleetFile(path string) (FleetFile, Problems) {
	var ff FleetFile
	b, err := os.ReadFile(path)
	if err != nil {
		return ff, Problems{readProblem(path, err)}
	}
	root, ps := decodeNode(path, b)
	if ps != nil || root == nil {
		return ff, ps
	}
	if ps := decodeStrict(path, b, root, &ff); ps != nil {
		return FleetFile{}, ps
	}
	return ff, nil
}

// readProblem reports a file that cannot be read.
func readProblem(path string, err error) Problem {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return Problem{File: path, Message: fmt.Sprintf("cannot read: %v", err)}
}
