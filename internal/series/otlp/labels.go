package otlp

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/storage"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// The resource attributes that identify a target, and the labels they become.
const (
	attrServiceName       = "service.name"
	attrServiceNamespace  = "service.namespace"
	attrServiceInstanceID = "service.instance.id"

	labelScopeName      = "otel_scope_name"
	labelScopeVersion   = "otel_scope_version"
	labelScopeSchemaURL = "otel_scope_schema_url"
	labelScopePrefix    = "otel_scope_"

	targetInfoName = "target_info"
	targetInfoHelp = "Target metadata"
)

// attr is an attribute on its way to becoming a label.
type attr struct {
	name  string // the label name
	key   string // the attribute key
	value string
	index int // the position among the attributes, for a stable order
}

// targetInfoKey identifies a target_info sample within one request, so that
// resources with the same labels do not write it twice.
type targetInfoKey struct {
	hash uint64
	ts   int64
}

// setResource derives the job and instance labels from a resource's
// attributes: job is service.namespace/service.name (or service.name alone),
// instance is service.instance.id.
func (t *translator) setResource(attrs []*commonpb.KeyValue) {
	var name, ns, instance *commonpb.AnyValue
	for _, kv := range attrs {
		// The first of repeated keys counts, as in the Collector's pdata.
		switch kv.GetKey() {
		case attrServiceName:
			name = cmp.Or(name, kv.GetValue())
		case attrServiceNamespace:
			ns = cmp.Or(ns, kv.GetValue())
		case attrServiceInstanceID:
			instance = cmp.Or(instance, kv.GetValue())
		}
	}
	t.job, t.instance = valueString(name), valueString(instance)
	if t.job != "" {
		if n := valueString(ns); n != "" {
			t.job = n + "/" + t.job
		}
	}
}

// setScope derives the labels a scope adds to its data points: its
// attributes as otel_scope_<key>, then otel_scope_name, otel_scope_version and
// otel_scope_schema_url. A scope without a name adds none.
func (t *translator) setScope(sm *metricspb.ScopeMetrics) {
	t.scope = t.scope[:0]
	sc := sm.GetScope()
	if sc.GetName() == "" {
		return
	}
	for _, kv := range sc.GetAttributes() {
		name, err := t.labelName(labelScopePrefix + kv.GetKey())
		if err != nil {
			continue
		}
		v := valueString(kv.GetValue())
		if i := slices.IndexFunc(t.scope, func(l labels.Label) bool { return l.Name == name }); i >= 0 {
			t.scope[i].Value = v
			continue
		}
		t.scope = append(t.scope, labels.Label{Name: name, Value: v})
	}
	// An empty scope attribute adds nothing; an empty name, version or schema
	// URL removes a data-point label of the same name.
	t.scope = slices.DeleteFunc(t.scope, func(l labels.Label) bool { return l.Value == "" })
	t.scope = append(t.scope,
		labels.Label{Name: labelScopeName, Value: sc.GetName()},
		labels.Label{Name: labelScopeVersion, Value: sc.GetVersion()},
		labels.Label{Name: labelScopeSchemaURL, Value: sm.GetSchemaUrl()},
	)
}

// labelName is labelName with a per-request cache.
func (t *translator) labelName(key string) (string, error) {
	if name, ok := t.labelNameCache[key]; ok {
		if name == "" {
			return labelName(key) // Recompute the error; this path is rare.
		}
		return name, nil
	}
	name, err := labelName(key)
	t.labelNameCache[key] = name
	return name, err
}

// pointLabels is buildBase for a data point of mc, which it rejects when an
// attribute key is not a valid label name.
func (t *translator) pointLabels(mc *metric, kvs []*commonpb.KeyValue, withScope bool) bool {
	if err := t.buildBase(kvs, withScope); err != nil {
		t.reject(mc.name, 1, ReasonInvalidName, err.Error())
		return false
	}
	return true
}

// buildBase builds t.base, the sorted labels of a series without __name__:
// the attributes, whose keys become label names (the values of keys that
// become the same name are joined with ";" in key order), then job and
// instance from the resource and, if withScope, the scope's labels. An
// attribute named __name__ is ignored, and labels with empty values are
// left out.
func (t *translator) buildBase(kvs []*commonpb.KeyValue, withScope bool) error {
	t.attrs = t.attrs[:0]
	for i, kv := range kvs {
		key := kv.GetKey()
		if key == model.MetricNameLabel {
			continue
		}
		name, err := t.labelName(key)
		if err != nil {
			return err
		}
		t.attrs = append(t.attrs, attr{name: name, key: key, value: valueString(kv.GetValue()), index: i})
	}
	// Senders usually sort attributes already; checking is cheaper than
	// sorting.
	if !slices.IsSortedFunc(t.attrs, compareAttrs) {
		slices.SortFunc(t.attrs, compareAttrs)
	}

	t.base = t.base[:0]
	for i := 0; i < len(t.attrs); {
		j := i + 1
		for j < len(t.attrs) && t.attrs[j].name == t.attrs[i].name {
			j++
		}
		t.base = append(t.base, labels.Label{Name: t.attrs[i].name, Value: joinValues(t.attrs[i:j])})
		i = j
	}
	if t.job != "" {
		t.setBase(model.JobLabel, t.job)
	}
	if t.instance != "" {
		t.setBase(model.InstanceLabel, t.instance)
	}
	if withScope {
		for _, l := range t.scope {
			t.setBase(l.Name, l.Value)
		}
	}
	t.base = slices.DeleteFunc(t.base, func(l labels.Label) bool { return l.Value == "" })
	t.baseBytes = 0
	for _, l := range t.base {
		t.baseBytes += int64(len(l.Name) + len(l.Value))
	}
	return nil
}

// compareAttrs orders attributes by label name, then key, then position.
func compareAttrs(a, b attr) int {
	return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
}

// joinValues joins the values of attributes whose keys became the same label
// name with ";", as Prometheus does: empty values before the first non-empty
// one are dropped, later ones are kept.
func joinValues(as []attr) string {
	if len(as) == 1 {
		return as[0].value
	}
	var b strings.Builder
	for _, a := range as {
		switch {
		case b.Len() > 0:
			b.WriteByte(';')
			b.WriteString(a.value)
		case a.value != "":
			b.WriteString(a.value)
		}
	}
	return b.String()
}

// setBase sets a label in the sorted t.base.
func (t *translator) setBase(name, value string) {
	i, found := slices.BinarySearchFunc(t.base, name, func(l labels.Label, name string) int {
		return strings.Compare(l.Name, name)
	})
	if found {
		t.base[i].Value = value
		return
	}
	t.base = slices.Insert(t.base, i, labels.Label{Name: name, Value: value})
}

// seriesLabels returns t.base with __name__ set to name and, if extraName is
// not empty, extraName (le or quantile) set to extraValue.
func (t *translator) seriesLabels(name, extraName, extraValue string) labels.Labels {
	// t.base is sorted; merge the new labels in rather than sorting again.
	t.sb.Reset()
	pending := [2]labels.Label{{Name: model.MetricNameLabel, Value: name}, {Name: extraName, Value: extraValue}}
	next := pending[:1]
	if extraName != "" {
		next = pending[:2]
		if extraName < model.MetricNameLabel {
			next[0], next[1] = next[1], next[0]
		}
	}
	for _, l := range t.base {
		for len(next) > 0 && next[0].Name < l.Name {
			t.sb.Add(next[0].Name, next[0].Value)
			next = next[1:]
		}
		if l.Name == extraName || l.Name == model.MetricNameLabel {
			continue
		}
		t.sb.Add(l.Name, l.Value)
	}
	for _, l := range next {
		t.sb.Add(l.Name, l.Value)
	}
	return t.sb.Labels()
}

// targetInfo writes the target_info series of a resource: value 1, the
// resource attributes other than those that make job and instance as labels,
// and job and instance. Samples are spaced targetInfoInterval apart from the
// earliest to the latest sample appended for the resource, plus one at the
// latest. Like Prometheus, it writes nothing when the resource has no other
// attributes or gives neither job nor instance.
func (t *translator) targetInfo(attrs []*commonpb.KeyValue) {
	if t.err != nil || t.minT > t.maxT {
		return
	}
	rest := make([]*commonpb.KeyValue, 0, len(attrs))
	for _, kv := range attrs {
		switch kv.GetKey() {
		case attrServiceName, attrServiceNamespace, attrServiceInstanceID:
		default:
			rest = append(rest, kv)
		}
	}
	if len(rest) == 0 {
		return
	}
	if err := t.buildBase(rest, false); err != nil {
		t.problems.add("", "target_info not written: resource "+err.Error(), 0)
		return
	}
	if !slices.ContainsFunc(t.base, func(l labels.Label) bool {
		return l.Name == model.JobLabel || l.Name == model.InstanceLabel
	}) {
		return
	}
	start := t.minT
	if span := int64(maxTargetInfoSamples-1) * targetInfoInterval; t.maxT-start > span {
		start = t.maxT - span
	}
	if !t.withinBudget(int((t.maxT-start)/targetInfoInterval)+1, len(targetInfoName)) {
		t.problems.add("", "target_info not written: "+t.budgetDetail(), 0)
		return
	}
	ls := t.seriesLabels(targetInfoName, "", "")
	hash := ls.Hash()
	opts := storage.AOptions{
		MetricFamilyName: targetInfoName,
		Metadata:         metadata.Metadata{Type: model.MetricTypeGauge, Help: targetInfoHelp},
	}

	for ts := start; ts < t.maxT && t.err == nil; ts += targetInfoInterval {
		t.appendTargetInfo(ls, hash, ts, opts)
	}
	t.appendTargetInfo(ls, hash, t.maxT, opts)
}

func (t *translator) appendTargetInfo(ls labels.Labels, hash uint64, ts int64, opts storage.AOptions) {
	if t.err != nil {
		return
	}
	key := targetInfoKey{hash: hash, ts: ts}
	if _, ok := t.targetInfoSeen[key]; ok {
		return
	}
	if t.targetInfoSeen == nil {
		t.targetInfoSeen = make(map[targetInfoKey]struct{})
	}
	t.targetInfoSeen[key] = struct{}{}
	// A refused target_info sample is no data point of the request; it is
	// dropped quietly, as a repeated resource commonly causes it.
	if _, _, err := t.append(ls, 0, ts, 1, nil, opts); err != nil {
		t.err = fmt.Errorf("append %s: %w", targetInfoName, err)
	}
}
