package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse checks that no input crashes the parser, that every refusal is
// Problems, and that whatever it accepts validates again, survives a round
// trip through YAML unchanged, has a task order, and makes a fleet of one
// whose lineage graph is consistent. Seeds are the example pipelines and the
// files under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(validPipeline))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("f.yaml", b)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error is not Problems: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a spec that does not validate: %v", err)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal an accepted spec: %v", err)
		}
		q, err := Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("an accepted spec, marshalled, does not parse:\n%s\n%v", out, err)
		}
		if again, _ := yaml.Marshal(q); !bytes.Equal(out, again) {
			t.Fatalf("round trip changed the spec:\n%s\nbecame\n%s", out, again)
		}
		if _, err := p.TaskOrder(); err != nil {
			t.Fatalf("an accepted spec has no task order: %v", err)
		}
		fleetOfOne(t, p)
	})
}

// fleetOfOne makes a fleet of p alone, declaring external what it reads and
// does not write, and checks its graph; it gives up when p waits for other
// pipelines, which a fleet of one cannot have.
func fleetOfOne(t *testing.T, p *Pipeline) {
	t.Helper()
	produced := map[string]bool{}
	for _, task := range p.Tasks {
		for _, d := range task.Outputs {
			produced[d] = true
		}
	}
	seen := map[string]bool{}
	var external []string
	need := func(d string) {
		if !produced[d] && !seen[d] {
			seen[d] = true
			external = append(external, d)
		}
	}
	for _, task := range p.Tasks {
		for _, d := range task.Inputs {
			need(d)
		}
	}
	for _, a := range p.Schedule.After {
		if a.Kind() != NodeDataset {
			return
		}
		if produced[a.Name()] {
			return // waiting for its own output: refused by NewFleet, as tested
		}
		need(a.Name())
	}
	f, err := NewFleet([]*Pipeline{p}, external)
	if err != nil {
		t.Fatalf("a valid pipeline with its inputs external is not a fleet: %v", err)
	}
	g := f.Graph()
	if len(g.Tasks(p.Name)) != len(p.Tasks) || g.Depth(p.Name) != 0 {
		t.Fatalf("graph of one pipeline: tasks %v, depth %d", g.Tasks(p.Name), g.Depth(p.Name))
	}
	checkMirror(t, g)
}
