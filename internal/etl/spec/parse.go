package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseFile reads, decodes and validates the pipeline spec at path; see
// Parse.
func ParseFile(path string, opts ...Option) (*Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pipeline spec: %w", err)
	}
	return Parse(path, b, opts...)
}

// Parse decodes one pipeline spec strictly onto the defaults and validates
// it on its own (see Pipeline.Validate); name, usually the file's path,
// prefixes every problem. The error, when the spec is wrong, is Problems.
func Parse(name string, b []byte, opts ...Option) (*Pipeline, error) {
	p, ps := decodePipeline(name, b)
	if ps != nil {
		return nil, ps
	}
	if err := p.Validate(opts...); err != nil {
		return nil, err
	}
	return p, nil
}

// decodePipeline decodes a spec without validating it. Its problems carry
// the line and, where it can be found, the field.
//
// Defaults are the starting value of the decode rather than applied in
// UnmarshalYAML methods, because yaml.v3 drops KnownFields strictness inside
// custom unmarshalers. Tasks are list items, which a decoder always starts
// from zero, so their defaults are filled afterwards for the keys the file
// leaves out (see applyTaskDefaults).
func decodePipeline(name string, b []byte) (*Pipeline, Problems) {
	root, ps := decodeNode(name, b)
	if ps != nil {
		return nil, ps
	}
	if root == nil {
		return nil, Problems{{File: name, Message: "the file is empty"}}
	}
	p := DefaultPipeline()
	if ps := decodeStrict(name, b, root, &p); ps != nil {
		return nil, ps
	}
	applyTaskDefaults(&p, root)
	p.File = name
	return &p, nil
}

// decodeNode parses b into a node tree, refusing a file of several
// documents. An empty file gives a nil node.
func decodeNode(name string, b []byte) (*yaml.Node, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxProblem(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return &root, nil
	case err != nil:
		return nil, syntaxProblem(name, err)
	default:
		return nil, Problems{{File: name, Line: extra.Line, Message: "a second YAML document; a file holds exactly one"}}
	}
}

// decodeStrict decodes b onto v, refusing unknown fields, and turns the
// decoder's errors into problems located in root.
func decodeStrict(name string, b []byte, root *yaml.Node, v any) Problems {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return syntaxProblem(name, err)
	}
	idx := indexNodes(root)
	ps := make(Problems, 0, len(te.Errors))
	for _, msg := range te.Errors {
		ps = append(ps, idx.explain(name, msg))
	}
	return ps
}

// syntaxProblem turns a YAML syntax error, "yaml: line N: message", into a
// Problem with its line.
func syntaxProblem(name string, err error) Problems {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, rest := cutLine(msg)
	return Problems{{File: name, Line: line, Message: rest}}
}

// cutLine splits "line N: rest" into N and rest, or returns 0 and msg.
func cutLine(msg string) (int, string) {
	num, rest, ok := strings.Cut(strings.TrimPrefix(msg, "line "), ": ")
	if !ok || !strings.HasPrefix(msg, "line ") {
		return 0, msg
	}
	line, err := strconv.Atoi(num)
	if err != nil {
		return 0, msg
	}
	return line, rest
}

// applyTaskDefaults gives every task the defaults of the keys its YAML
// leaves out or sets to null. A key that is present keeps its value, so
// that jitter: 0 and retries.backoff: 0s mean what they say.
func applyTaskDefaults(p *Pipeline, root *yaml.Node) {
	tasks := resolve(mappingEntries(resolve(root))["tasks"])
	if tasks == nil || tasks.Kind != yaml.SequenceNode || len(tasks.Content) != len(p.Tasks) {
		return
	}
	def := DefaultTask()
	for i, item := range tasks.Content {
		t, keys := &p.Tasks[i], mappingEntries(resolve(item))
		if absent(keys, "on_row_error") {
			t.OnRowError = def.OnRowError
		}
		if absent(keys, "timeout") {
			t.Timeout = def.Timeout
		}
		if absent(keys, "criticality") {
			t.Criticality = def.Criticality
		}
		r, rkeys := &t.Retries, mappingEntries(resolve(keys["retries"]))
		if absent(rkeys, "count") {
			r.Count = def.Retries.Count
		}
		if absent(rkeys, "backoff") {
			r.Backoff = def.Retries.Backoff
		}
		if absent(rkeys, "max_backoff") {
			r.MaxBackoff = def.Retries.MaxBackoff
		}
		if absent(rkeys, "jitter") {
			r.Jitter = def.Retries.Jitter
		}
		if absent(rkeys, "transient") {
			r.Transient = DefaultTransient()
		}
	}
}

// absent reports whether a mapping leaves key out or sets it to null.
func absent(keys map[string]*yaml.Node, key string) bool {
	n := resolve(keys[key])
	return n == nil || isNull(n)
}

// isNull reports whether n is a null scalar.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// resolve follows aliases and unwraps a document to its content. It
// returns nil for nil and for a dangling alias.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && depth < maxAliasDepth; depth++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// maxAliasDepth bounds how many aliases and merges are followed, as a guard
// against hostile input; the decoder has already refused recursive ones.
const maxAliasDepth = 16

// mappingEntries returns the keys of a mapping node and their values,
// including those merged in with <<, where the mapping's own keys win, as
// the decoder treats them. It returns an empty map for anything but a
// mapping.
func mappingEntries(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	budget := maxMergedMappings
	addMappingEntries(out, n, 0, &budget)
	return out
}

// maxMergedMappings bounds the mappings one call of mappingEntries visits,
// so that merges of merges cannot make it exponential. The decoder refuses
// documents with excessive aliasing before this matters.
const maxMergedMappings = 10000

func addMappingEntries(out map[string]*yaml.Node, n *yaml.Node, depth int, budget *int) {
	if n == nil || n.Kind != yaml.MappingNode || depth > maxAliasDepth || *budget <= 0 {
		return
	}
	*budget--
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		out[k.Value] = v
	}
	for _, m := range merges {
		m = resolve(m)
		if m == nil {
			continue
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			merged := map[string]*yaml.Node{}
			addMappingEntries(merged, resolve(src), depth+1, budget)
			for k, v := range merged {
				// The decoder leaves a merged value in place when the
				// mapping's own value is null.
				if cur, own := out[k]; !own || isNull(cur) {
					out[k] = v
				}
			}
		}
	}
}
