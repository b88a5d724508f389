package spec

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigil-aiops/vigil/internal/suggest"
)

// nodeIndex lists the keys and values of a YAML document with their lines
// and field paths, so that the decoder's errors, which know only a line,
// can name the field they concern.
type nodeIndex []nodeEntry

// nodeEntry is one key or value of a document.
type nodeEntry struct {
	line int
	path string     // the field path, as problems name fields
	key  bool       // whether node is a mapping key
	node *yaml.Node // the key or value
}

// maxIndexDepth bounds the nesting indexed, as a guard against hostile
// input; deeper fields are reported by line only.
const maxIndexDepth = 64

// indexNodes indexes the document root in document order. Aliases are not
// followed, so the index is no larger than the document.
func indexNodes(root *yaml.Node) nodeIndex {
	var x nodeIndex
	if doc := resolve(root); doc != nil {
		x = append(x, nodeEntry{line: doc.Line, node: doc})
		x.walk(doc, "", 0)
	}
	return x
}

func (x *nodeIndex) walk(n *yaml.Node, path string, depth int) {
	if n == nil || depth > maxIndexDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			*x = append(*x, nodeEntry{line: k.Line, path: p, key: true, node: k})
			*x = append(*x, nodeEntry{line: v.Line, path: p, node: v})
			x.walk(v, p, depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if name := ownName(item); name != "" {
				p = fmt.Sprintf("%s (%s)", p, name)
			}
			*x = append(*x, nodeEntry{line: item.Line, path: p, node: item})
			x.walk(item, p, depth+1)
		}
	}
}

// ownName returns the value of the name key of a mapping, not looking into
// merged mappings, or "".
func ownName(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	name := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode {
			name = v.Value
		}
	}
	return name
}

// explain turns one message of a yaml.TypeError into a Problem: it finds the
// field the message is about and says what is wrong in the words of this
// package.
func (x nodeIndex) explain(file, msg string) Problem {
	line, rest := cutLine(msg)
	p := Problem{File: file, Line: line, Message: rest}
	switch {
	case strings.HasPrefix(rest, "field ") && strings.Contains(rest, " not found in type "):
		// "field X not found in type spec.T"
		field, typ, _ := strings.Cut(strings.TrimPrefix(rest, "field "), " not found in type ")
		if e, ok := x.find(line, func(e nodeEntry) bool { return e.key && e.node.Value == field }); ok {
			p.Field = e.path
		}
		p.Message = fmt.Sprintf("unknown field %q%s", field, suggest.DidYouMean(field, yamlFields(typ)))
	case strings.HasPrefix(rest, "mapping key "):
		// "mapping key "x" already defined at line M"
		key, err := strconv.QuotedPrefix(strings.TrimPrefix(rest, "mapping key "))
		if err != nil {
			break
		}
		name, _ := strconv.Unquote(key)
		if e, ok := x.find(line, func(e nodeEntry) bool { return e.key && e.node.Value == name }); ok {
			p.Field = e.path
		}
		_, first, _ := strings.Cut(rest, " already defined at ")
		p.Message = fmt.Sprintf("%s is given twice (first at %s)", key, first)
	case strings.HasPrefix(rest, "cannot unmarshal "):
		// "cannot unmarshal !!str `abc` into int"
		tag, value, typ := parseUnmarshalError(strings.TrimPrefix(rest, "cannot unmarshal "))
		e, ok := x.findLast(line, func(e nodeEntry) bool {
			return !e.key && e.node.ShortTag() == tag && strings.HasPrefix(e.node.Value, value)
		})
		if !ok {
			break
		}
		p.Field = e.path
		p.Message = fmt.Sprintf("want %s, not %s", friendlyType(typ), describeNode(e.node))
	default:
		// The package's own unmarshalers quote the value they refuse, or
		// end with what they found instead (see scalarError).
		matches := []func(nodeEntry) bool{
			func(e nodeEntry) bool {
				return !e.key && e.node.Kind == yaml.ScalarNode && strings.Contains(rest, strconv.Quote(e.node.Value))
			},
			func(e nodeEntry) bool { return !e.key && strings.HasSuffix(rest, ", not "+describeNode(e.node)) },
		}
		for _, match := range matches {
			if e, ok := x.findLast(line, match); ok {
				p.Field = e.path
				break
			}
		}
	}
	return p
}

// find returns the first entry on line that match accepts.
func (x nodeIndex) find(line int, match func(nodeEntry) bool) (nodeEntry, bool) {
	for _, e := range x {
		if e.line == line && match(e) {
			return e, true
		}
	}
	return nodeEntry{}, false
}

// findLast returns the last entry on line that match accepts: of nested
// values that start on the same line, the innermost.
func (x nodeIndex) findLast(line int, match func(nodeEntry) bool) (nodeEntry, bool) {
	for i := len(x) - 1; i >= 0; i-- {
		if e := x[i]; e.line == line && match(e) {
			return e, true
		}
	}
	return nodeEntry{}, false
}

// parseUnmarshalError splits yaml.v3's "!!str `abc` into int" into the tag,
// the value (without the "..." of a shortened one) and the Go type.
func parseUnmarshalError(s string) (tag, value, typ string) {
	head, typ, _ := strings.Cut(s, " into ")
	if i := strings.LastIndex(s, "` into "); i >= 0 {
		head, typ = s[:i+1], s[i+len("` into "):]
	}
	tag, value, _ = strings.Cut(head, " ")
	value = strings.TrimSuffix(strings.TrimPrefix(value, "`"), "`")
	value = strings.TrimSuffix(value, "...")
	return tag, value, typ
}

// friendlyType says in words what a Go type expects from YAML.
func friendlyType(t string) string {
	t = strings.TrimPrefix(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	}
	switch t {
	case "int", "int64", "int32":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	if fields := yamlFields(t); fields != nil {
		return "a mapping"
	}
	if strings.HasPrefix(t, "spec.") {
		return "a single value"
	}
	return t
}

// yamlFields returns the YAML field names of the spec struct type named
// typeName ("spec.Task"), or nil if there is no such struct.
func yamlFields(typeName string) []string {
	var found []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		names := structFields(t)
		if t.String() == typeName {
			found = names
		}
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[Pipeline]())
	walk(reflect.TypeFor[FleetFile]())
	return found
}

// structFields returns the YAML names of a struct's fields, those of inline
// fields included.
func structFields(t reflect.Type) []string {
	names := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case strings.Contains(opts, "inline"):
			names = append(names, structFields(f.Type)...)
		case name != "":
			names = append(names, name)
		}
	}
	return names
}
