package spec

import (
	"fmt"
	"strings"
)

// NodeID names a node of the lineage graph: "pipeline:orders",
// "task:orders/extract_orders" or "dataset:warehouse.raw_orders". The same
// notation names what an after: schedule waits for.
type NodeID string

// NodeKind is the kind of node a NodeID names.
type NodeKind string

// The node kinds.
const (
	NodePipeline NodeKind = "pipeline"
	NodeTask     NodeKind = "task"
	NodeDataset  NodeKind = "dataset"
)

// PipelineID returns the ID of the pipeline called name.
func PipelineID(name string) NodeID { return NodeID("pipeline:" + name) }

// TaskID returns the ID of a task of a pipeline.
func TaskID(pipeline, task string) NodeID { return NodeID("task:" + pipeline + "/" + task) }

// DatasetID returns the ID of the dataset called name.
func DatasetID(name string) NodeID { return NodeID("dataset:" + name) }

// Kind returns the kind of node id names, or "" if it is malformed.
func (id NodeID) Kind() NodeKind {
	k, _, ok := strings.Cut(string(id), ":")
	if !ok {
		return ""
	}
	switch NodeKind(k) {
	case NodePipeline, NodeTask, NodeDataset:
		return NodeKind(k)
	}
	return ""
}

// Name returns what follows the kind: a pipeline or dataset name, or
// pipeline/task for a task.
func (id NodeID) Name() string {
	_, name, _ := strings.Cut(string(id), ":")
	return name
}

// Pipeline returns the pipeline a pipeline or task ID belongs to, or "".
func (id NodeID) Pipeline() string {
	switch id.Kind() {
	case NodePipeline:
		return id.Name()
	case NodeTask:
		p, _, _ := strings.Cut(id.Name(), "/")
		return p
	}
	return ""
}

// String implements fmt.Stringer.
func (id NodeID) String() string { return string(id) }

// maxNameLen bounds pipeline and task names, which end up in run IDs,
// metric labels and file names.
const maxNameLen = 64

// ParseNodeID parses and checks a node ID.
func ParseNodeID(s string) (NodeID, error) {
	id := NodeID(s)
	name := id.Name()
	switch id.Kind() {
	case NodePipeline:
		if err := checkName(name); err != nil {
			return "", fmt.Errorf("node %q: %w", s, err)
		}
	case NodeTask:
		p, t, ok := strings.Cut(name, "/")
		if !ok {
			return "", fmt.Errorf("node %q: want task:<pipeline>/<task>", s)
		}
		if err := checkName(p); err != nil {
			return "", fmt.Errorf("node %q: %w", s, err)
		}
		if err := checkName(t); err != nil {
			return "", fmt.Errorf("node %q: %w", s, err)
		}
	case NodeDataset:
		if err := checkDataset(name); err != nil {
			return "", fmt.Errorf("node %q: %w", s, err)
		}
	default:
		return "", fmt.Errorf("node %q: want pipeline:<name>, task:<pipeline>/<task> or dataset:<name>", s)
	}
	return id, nil
}

// checkName checks a pipeline or task name.
func checkName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("name is empty")
	case len(s) > maxNameLen:
		return fmt.Errorf("name %q is longer than %d characters", s, maxNameLen)
	case !isIdent(s):
		return fmt.Errorf("name %q must be a lowercase letter followed by lowercase letters, digits and _", s)
	}
	return nil
}

// checkDataset checks a dataset name: a namespace and a name, dotted, such
// as warehouse.raw_orders. The first part is the OpenLineage namespace.
func checkDataset(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("dataset name is empty")
	case len(s) > 4*maxNameLen:
		return fmt.Errorf("dataset name %q is longer than %d characters", s, 4*maxNameLen)
	case !isDatasetName(s):
		return fmt.Errorf("dataset name %q must be <namespace>.<name>, each part a lowercase letter followed by lowercase letters, digits and _", s)
	}
	return nil
}

// isIdent reports whether s matches [a-z][a-z0-9_]*.
func isIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// isDatasetName reports whether s is two or more identifiers joined by dots.
func isDatasetName(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !isIdent(p) {
			return false
		}
	}
	return true
}
