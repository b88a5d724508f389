package otlp

import (
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// Exemplar labels for the trace context, as the OpenTelemetry specification
// names them.
const (
	labelTraceID = "trace_id"
	labelSpanID  = "span_id"
	traceIDLen   = 16
	spanIDLen    = 8
)

// convertExemplars converts OTLP exemplars the way Prometheus does: the
// trace and span IDs become hex trace_id and span_id labels, and the filtered
// attributes are added under their own keys when all labels together stay
// within the OpenMetrics limit of 128 runes. An exemplar without a value is
// dropped; an ID of the wrong length is ignored. The result is unsorted and
// valid until the next call.
func (t *translator) convertExemplars(src []*metricspb.Exemplar) []exemplar.Exemplar {
	out := t.exemplars[:0]
	for _, e := range src {
		var v float64
		switch x := e.GetValue().(type) {
		case *metricspb.Exemplar_AsDouble:
			v = x.AsDouble
		case *metricspb.Exemplar_AsInt:
			v = float64(x.AsInt)
		default:
			continue
		}
		ls := t.exLabels[:0]
		runes := 0
		if id := e.GetTraceId(); len(id) == traceIDLen && !allZero(id) {
			ls = append(ls, labels.Label{Name: labelTraceID, Value: hex.EncodeToString(id)})
			runes += len(labelTraceID) + 2*traceIDLen
		}
		if id := e.GetSpanId(); len(id) == spanIDLen && !allZero(id) {
			ls = append(ls, labels.Label{Name: labelSpanID, Value: hex.EncodeToString(id)})
			runes += len(labelSpanID) + 2*spanIDLen
		}
		fixed := len(ls)
		for _, kv := range e.GetFilteredAttributes() {
			key := kv.GetKey()
			if key == "" || slices.ContainsFunc(ls[:fixed], func(l labels.Label) bool { return l.Name == key }) {
				continue
			}
			val := valueString(kv.GetValue())
			runes += utf8.RuneCountInString(key) + utf8.RuneCountInString(val)
			ls = append(ls, labels.Label{Name: key, Value: val})
		}
		if runes > exemplar.ExemplarMaxLabelSetLength {
			ls = ls[:fixed]
		}
		// Keep the first of repeated keys; labels.New sorts.
		slices.SortStableFunc(ls, func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) })
		ls = slices.CompactFunc(ls, func(a, b labels.Label) bool { return a.Name == b.Name })
		t.exLabels = ls
		ts := int64(e.GetTimeUnixNano() / nanosPerMilli)
		out = append(out, exemplar.Exemplar{
			Labels: labels.New(ls...),
			Value:  v,
			Ts:     ts,
			HasTs:  ts != 0,
		})
	}
	t.exemplars = out
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
