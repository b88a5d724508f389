// Package fleetgraph adapts the lineage graph of an ETL fleet to the
// incident manager: it is the manager's Topology, for lineage correlation,
// and its Catalog, for the blast radius. It exists so that the incident
// package does not depend on the ETL specs; it adds no behaviour of its
// own.
package fleetgraph

import (
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/incident"
)

// Lineage is a fleet's lineage seen by the incident manager. It is safe
// for concurrent use, as the fleet's graph is.
type Lineage struct {
	fleet    *spec.Fleet
	critical map[string]bool
}

// New returns the lineage of f. The nodes listed in critical, such as
// "dataset:warehouse.orders_enriched", count double in blast radii. (A
// task's criticality in its spec says whether its run may be skipped, not
// how much the business needs it, so it is not used here.)
func New(f *spec.Fleet, critical ...string) *Lineage {
	l := &Lineage{fleet: f, critical: map[string]bool{}}
	for _, id := range critical {
		l.critical[id] = true
	}
	return l
}

// Upstream returns the nodes that could cause trouble at node, nearest
// first.
func (l *Lineage) Upstream(node string) []string {
	return names(l.fleet.Graph().Upstream(spec.NodeID(node)))
}

// Downstream returns the nodes that trouble at node could affect, nearest
// first.
func (l *Lineage) Downstream(node string) []string {
	return names(l.fleet.Graph().Downstream(spec.NodeID(node)))
}

// Node describes a node: its kind, whether it is critical, and, for a
// pipeline, whether it has an SLA.
func (l *Lineage) Node(id string) incident.NodeInfo {
	n := spec.NodeID(id)
	info := incident.NodeInfo{Kind: incident.NodeOther, Critical: l.critical[id]}
	switch n.Kind() {
	case spec.NodePipeline:
		info.Kind = incident.NodePipeline
		if p := l.fleet.Pipeline(n.Name()); p != nil {
			info.SLA = p.SLA > 0
		}
	case spec.NodeDataset:
		info.Kind = incident.NodeDataset
	case spec.NodeTask:
		info.Kind = incident.NodeTask
	}
	return info
}

// names converts node IDs to strings, keeping nil for nil.
func names(ids []spec.NodeID) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
