package chaos

import (
	"fmt"

	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// ConnectorKind is the connector kind Register adds. It wraps another
// connector as a source or a sink, named in its settings with that
// connector's settings and the datasets the task writes:
//
//	connector: csv
//	settings: {path: orders.csv}
//	outputs: [raw.orders]
//
// The Runner wrapper routes every task's source and sink through it, so
// that pipeline specs need not name it.
const ConnectorKind = "chaos"

// Register adds ConnectorKind to reg: its sources and sinks are reg's
// connectors wrapped by Source and Sink, which learn the endpoint from the
// wrapped connector's settings and the pipeline, task and run from each
// read and load.
func (in *Injector) Register(reg *connector.Registry) error {
	return reg.Register(ConnectorKind, connector.Factory{
		Source: func(_ *connector.Env, settings map[string]any) (connector.Source, error) {
			r, err := decodeRoute(settings)
			if err != nil {
				return nil, err
			}
			src, err := reg.NewSource(r.kind, r.settings)
			if err != nil {
				return nil, err
			}
			s := Subject{Source: endpointOf(&spec.Endpoint{Connector: r.kind, Settings: r.settings}), Outputs: r.outputs}
			return in.Source(src, s), nil
		},
		Sink: func(_ *connector.Env, settings map[string]any) (connector.Sink, error) {
			r, err := decodeRoute(settings)
			if err != nil {
				return nil, err
			}
			sink, err := reg.NewSink(r.kind, r.settings)
			if err != nil {
				return nil, err
			}
			s := Subject{Sink: endpointOf(&spec.Endpoint{Connector: r.kind, Settings: r.settings}), Outputs: r.outputs}
			return in.Sink(sink, s), nil
		},
	})
}

// routeSettings are the settings of ConnectorKind.
type routeSettings struct {
	kind     string
	settings map[string]any
	outputs  []string
}

// decodeRoute decodes the settings of ConnectorKind strictly.
func decodeRoute(settings map[string]any) (routeSettings, error) {
	var r routeSettings
	for key, v := range settings {
		ok := true
		switch key {
		case "connector":
			r.kind, ok = v.(string)
		case "settings":
			if v != nil {
				r.settings, ok = v.(map[string]any)
			}
		case "outputs":
			r.outputs, ok = stringList(v)
		default:
			return r, fmt.Errorf("unknown setting %q (want connector, settings, outputs)", key)
		}
		if !ok {
			return r, fmt.Errorf("%s: unexpected value %v of type %T", key, v, v)
		}
	}
	if r.kind == "" || r.kind == ConnectorKind {
		return r, fmt.Errorf("connector: want the kind of the connector to wrap, got %q", r.kind)
	}
	return r, nil
}

// stringList returns v as a list of strings.
func stringList(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case []string:
		return v, true
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// route returns a with its task's source and sink routed through
// ConnectorKind. The task itself is copied, never changed.
func route(a agent.Assignment) agent.Assignment {
	wrap := func(e *spec.Endpoint) *spec.Endpoint {
		if e == nil || e.Connector == ConnectorKind {
			return e
		}
		outputs := make([]any, len(a.Spec.Outputs))
		for i, o := range a.Spec.Outputs {
			outputs[i] = o
		}
		return &spec.Endpoint{Connector: ConnectorKind, Settings: map[string]any{
			"connector": e.Connector, "settings": e.Settings, "outputs": outputs,
		}}
	}
	a.Spec.Source = wrap(a.Spec.Source)
	a.Spec.Sink = wrap(a.Spec.Sink)
	return a
}

// endpointOf returns the connector endpoint e points to, as the
// controller's circuits name it, or "" if it reaches nothing outside.
func endpointOf(e *spec.Endpoint) string {
	if e == nil {
		return ""
	}
	if eps := etl.Endpoints(spec.Task{Source: e}); len(eps) > 0 {
		return eps[0]
	}
	return ""
}

// subjectOf returns what an attempt works on.
func subjectOf(a agent.Assignment) Subject {
	s := Subject{
		Agent: a.Agent, Pipeline: a.Pipeline, Task: a.Task, Run: a.RunID, Attempt: a.Attempt,
		Source: endpointOf(a.Spec.Source), Sink: endpointOf(a.Spec.Sink),
		Inputs: a.Spec.Inputs, Outputs: a.Spec.Outputs,
	}
	if a.Spec.SQL != nil {
		s.Sink = endpointOf(&a.Spec.SQL.Endpoint)
	}
	return s
}
