package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Pair is one entry of a Pairs mapping: a column and the string given for
// it, a CEL expression in a map step or a type in a cast step.
type Pair struct {
	Column string
	Value  string
}

// Pairs is a YAML mapping from column names to strings that keeps the order
// in which it was written, because the order of a map step's columns is the
// order of the columns it outputs.
type Pairs []Pair

// Get returns the value given for column and whether there is one.
func (ps Pairs) Get(column string) (string, bool) {
	for _, p := range ps {
		if p.Column == column {
			return p.Value, true
		}
	}
	return "", false
}

// UnmarshalYAML implements yaml.Unmarshaler. It accepts only a mapping of
// scalars to scalars; its errors are type errors, so that the decoder goes
// on and reports every bad value of a file at once.
func (ps *Pairs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return scalarError(n, "a mapping of column names to strings")
	}
	var errs []string
	out := make(Pairs, 0, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			errs = append(errs, fmt.Sprintf("line %d: want column: string, not %s: %s", k.Line, describeNode(k), describeNode(v)))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			errs = append(errs, fmt.Sprintf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, line))
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, Pair{Column: k.Value, Value: v.Value})
	}
	if errs != nil {
		return &yaml.TypeError{Errors: errs}
	}
	*ps = out
	return nil
}

// MarshalYAML implements yaml.Marshaler, keeping the order.
func (ps Pairs) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: make([]*yaml.Node, 0, 2*len(ps))}
	for _, p := range ps {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Column},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Value})
	}
	return n, nil
}
