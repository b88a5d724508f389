package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vigil-aiops/vigil/internal/suggest"
)

// maxRetries bounds retries.count: beyond it, retrying is not a policy but
// a loop.
const maxRetries = 100

// validate checks one task; f names it in problems and tasks lists the
// names of the pipeline's tasks.
func (t *Task) validate(c *collector, o options, f string, tasks []string) {
	if err := checkName(t.Name); err != nil {
		c.add(f+".name", "%v", err)
	}
	if !t.Kind.Valid() {
		c.add(f+".kind", "%q is not one of extract, transform, load, check%s", t.Kind,
			suggest.DidYouMean(string(t.Kind), []string{"extract", "transform", "load", "check"}))
	}
	t.validateShape(c, f)
	for _, e := range []struct {
		use string
		e   *Endpoint
	}{{"source", t.Source}, {"sink", t.Sink}, {"dead_letter", t.DeadLetter}} {
		if e.e != nil {
			validateEndpoint(c, o, f+"."+e.use, e.use, *e.e)
		}
	}
	if t.SQL != nil {
		validateEndpoint(c, o, f+".sql", "sql", t.SQL.Endpoint)
		if strings.TrimSpace(t.SQL.Statement) == "" {
			c.add(f+".sql.statement", "must be set")
		}
	}
	for i, s := range t.Transform {
		s.validate(c, fmt.Sprintf("%s.transform[%d]", f, i))
	}
	for i, a := range t.Assert {
		if strings.TrimSpace(a) == "" {
			c.add(fmt.Sprintf("%s.assert[%d]", f, i), "is empty")
		}
	}
	t.validateRowErrors(c, f)
	t.validateDatasets(c, f)
	t.validateDependsOn(c, f, tasks)
	if t.Timeout <= 0 {
		c.add(f+".timeout", "must be positive")
	}
	t.Retries.validate(c, f+".retries")
	if r := t.Resources; !(r.CPU >= 0) || math.IsInf(r.CPU, 0) {
		c.add(f+".resources.cpu", "%v is not a non-negative number of cores", r.CPU)
	}
	if t.Resources.Memory < 0 {
		c.add(f+".resources.memory", "must not be negative")
	}
	if !t.Criticality.Valid() {
		c.add(f+".criticality", "%q is not one of critical, optional%s", t.Criticality,
			suggest.DidYouMean(string(t.Criticality), []string{"critical", "optional"}))
	}
}

// validateShape checks that the task has the fields its kind needs, and no
// field its kind does not use.
func (t *Task) validateShape(c *collector, f string) {
	moves := t.Source != nil || t.Sink != nil
	switch t.Kind {
	case KindCheck:
		if t.Source == nil {
			c.add(f+".source", "a check needs a source to read")
		}
		if len(t.Assert) == 0 {
			c.add(f+".assert", "a check needs at least one assertion")
		}
		if t.Sink != nil {
			c.add(f+".sink", "a check writes nothing; remove the sink")
		}
		if t.SQL != nil {
			c.add(f+".sql", "a check reads a source; remove sql")
		}
		if len(t.Outputs) > 0 {
			c.add(f+".outputs", "a check produces no dataset")
		}
	case KindExtract, KindTransform, KindLoad:
		switch {
		case moves && t.SQL != nil:
			c.add(f, "set either source and sink, or sql, not both")
		case !moves && t.SQL == nil:
			c.add(f, "a task of kind %s needs source and sink, or sql", t.Kind)
		case t.Source == nil && t.SQL == nil:
			c.add(f+".source", "must be set with sink")
		case t.Sink == nil && t.SQL == nil:
			c.add(f+".sink", "must be set with source")
		}
		if len(t.Assert) > 0 {
			c.add(f+".assert", "only a check asserts; make a task of kind check")
		}
		if t.SQL != nil && len(t.Transform) > 0 {
			c.add(f+".transform", "transforms apply to rows moved from source to sink, not to sql")
		}
		if t.SQL != nil && t.OnRowError != RowErrorFail && t.OnRowError.Valid() {
			c.add(f+".on_row_error", "applies to rows moved from source to sink, not to sql")
		}
	}
}

func (t *Task) validateRowErrors(c *collector, f string) {
	if !t.OnRowError.Valid() {
		c.add(f+".on_row_error", "%q is not one of fail, skip, dead_letter%s", t.OnRowError,
			suggest.DidYouMean(string(t.OnRowError), []string{"fail", "skip", "dead_letter"}))
	}
	switch {
	case t.OnRowError == RowErrorDeadLetter && t.DeadLetter == nil:
		c.add(f+".dead_letter", "must be set when on_row_error is dead_letter")
	case t.OnRowError != RowErrorDeadLetter && t.DeadLetter != nil:
		c.add(f+".dead_letter", "is used only when on_row_error is dead_letter, not %q", t.OnRowError)
	}
}

func (t *Task) validateDatasets(c *collector, f string) {
	inputs := map[string]bool{}
	for i, d := range t.Inputs {
		field := fmt.Sprintf("%s.inputs[%d]", f, i)
		if err := checkDataset(d); err != nil {
			c.add(field, "%v", err)
		} else if inputs[d] {
			c.add(field, "dataset %q is listed twice", d)
		}
		inputs[d] = true
	}
	outputs := map[string]bool{}
	for i, d := range t.Outputs {
		field := fmt.Sprintf("%s.outputs[%d]", f, i)
		switch err := checkDataset(d); {
		case err != nil:
			c.add(field, "%v", err)
		case outputs[d]:
			c.add(field, "dataset %q is listed twice", d)
		case inputs[d]:
			c.add(field, "dataset %q is also an input: a task cannot read what it writes", d)
		}
		outputs[d] = true
	}
}

func (t *Task) validateDependsOn(c *collector, f string, tasks []string) {
	seen := map[string]bool{}
	for i, dep := range t.DependsOn {
		field := fmt.Sprintf("%s.depends_on[%d]", f, i)
		switch {
		case dep == t.Name:
			c.add(field, "a task cannot depend on itself")
		case !slices.Contains(tasks, dep):
			c.add(field, "unknown task %q%s", dep, suggest.DidYouMean(dep, tasks))
		case seen[dep]:
			c.add(field, "task %q is listed twice", dep)
		}
		seen[dep] = true
	}
}

func (r Retries) validate(c *collector, f string) {
	if r.Count < 0 || r.Count > maxRetries {
		c.add(f+".count", "%d is not between 0 and %d", r.Count, maxRetries)
	}
	if r.Backoff < 0 {
		c.add(f+".backoff", "must not be negative")
	}
	if r.MaxBackoff < r.Backoff {
		c.add(f+".max_backoff", "%s is less than backoff %s", r.MaxBackoff, r.Backoff)
	}
	if !(r.Jitter >= 0 && r.Jitter <= 1) {
		c.add(f+".jitter", "%v is not between 0 and 1", r.Jitter)
	}
	classes := make([]string, len(errorClasses))
	for i, k := range errorClasses {
		classes[i] = string(k)
	}
	seen := map[ErrorClass]bool{}
	for i, k := range r.Transient {
		field := fmt.Sprintf("%s.transient[%d]", f, i)
		switch {
		case !k.Valid():
			c.add(field, "unknown error class %q%s (classes: %s)", k, suggest.DidYouMean(string(k), classes), strings.Join(classes, ", "))
		case seen[k]:
			c.add(field, "%q is listed twice", k)
		}
		seen[k] = true
	}
	if r.Count > 0 && len(r.Transient) == 0 {
		c.add(f+".transient", "is empty, so the %d retries would never be used", r.Count)
	}
}

func (s Step) validate(c *collector, f string) {
	var set []string
	if s.Filter != "" {
		set = append(set, "filter")
	}
	if s.Map != nil {
		set = append(set, "map")
	}
	if s.Cast != nil {
		set = append(set, "cast")
	}
	switch len(set) {
	case 0:
		c.add(f, "set one of filter, map or cast")
	case 1:
	default:
		c.add(f, "set only one of filter, map and cast in a step, not %s; use one step each", strings.Join(set, " and "))
	}
	if s.Map != nil && len(s.Map) == 0 {
		c.add(f+".map", "must name at least one column")
	}
	for _, p := range s.Map {
		if !isColumn(p.Column) {
			c.add(f+".map", "%q is not a column name (letters, digits and _, not starting with a digit)", p.Column)
		}
		if strings.TrimSpace(p.Value) == "" {
			c.add(f+".map."+p.Column, "expression is empty")
		}
	}
	if s.Cast != nil && len(s.Cast) == 0 {
		c.add(f+".cast", "must name at least one column")
	}
	types := ColumnTypes()
	for _, p := range s.Cast {
		if !isColumn(p.Column) {
			c.add(f+".cast", "%q is not a column name (letters, digits and _, not starting with a digit)", p.Column)
		}
		if !slices.Contains(types, p.Value) {
			c.add(f+".cast."+p.Column, "%q is not one of %s%s", p.Value, strings.Join(types, ", "), suggest.DidYouMean(p.Value, types))
		}
	}
}

// validateEndpoint checks an endpoint's connector kind and, when it is
// known and the caller asked for it, its settings.
func validateEndpoint(c *collector, o options, f, use string, e Endpoint) {
	switch {
	case e.Connector == "":
		c.add(f+".connector", "must be set (one of %s)", strings.Join(o.connectors, ", "))
		return
	case !o.knownConnector(e.Connector):
		c.add(f+".connector", "unknown connector %q%s (known: %s)", e.Connector,
			suggest.DidYouMean(e.Connector, o.connectors), strings.Join(o.connectors, ", "))
		return
	}
	if o.checkEndpoint == nil {
		return
	}
	err := o.checkEndpoint(use, e)
	if err == nil {
		return
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			c.add(f, "%v", e)
		}
		return
	}
	c.add(f, "%v", err)
}

// isColumn reports whether s can name a column: [A-Za-z_][A-Za-z0-9_]*.
func isColumn(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
