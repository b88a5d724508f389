package otlp

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
)

// valueString renders an attribute value as a label value the way the
// OpenTelemetry Collector's pdata does (and so Prometheus's own OTLP
// receiver): strings as they are, numbers and booleans in their JSON form,
// bytes in standard base64, arrays and key-value lists as compact JSON, and an
// absent value as the empty string.
func valueString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return string(appendJSONFloat(nil, x.DoubleValue))
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue, *commonpb.AnyValue_KvlistValue:
		return string(appendJSONValue(nil, v))
	default:
		// Absent, or string_value_strindex, which only the profiles signal
		// uses and which the specification says to treat as absent.
		return ""
	}
}

// appendJSONValue appends v as JSON. Key-value lists become objects with
// their keys sorted and, for repeated keys, the last value kept, as encoding a
// Go map would give.
func appendJSONValue(b []byte, v *commonpb.AnyValue) []byte {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return appendJSONString(b, x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		return strconv.AppendBool(b, x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.AppendInt(b, x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			// JSON has no literal for these; quote the Prometheus spelling.
			b = append(b, '"')
			b = appendJSONFloat(b, x.DoubleValue)
			return append(b, '"')
		}
		return appendJSONFloat(b, x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x.BytesValue)
		return append(b, '"')
	case *commonpb.AnyValue_ArrayValue:
		b = append(b, '[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONValue(b, e)
		}
		return append(b, ']')
	case *commonpb.AnyValue_KvlistValue:
		kvs := slices.Clone(x.KvlistValue.GetValues())
		slices.SortStableFunc(kvs, func(a, b *commonpb.KeyValue) int {
			return cmp.Compare(a.GetKey(), b.GetKey())
		})
		b = append(b, '{')
		first := true
		for i, kv := range kvs {
			if i+1 < len(kvs) && kvs[i+1].GetKey() == kv.GetKey() {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, kv.GetKey())
			b = append(b, ':')
			b = appendJSONValue(b, kv.GetValue())
		}
		return append(b, '}')
	default:
		return append(b, "null"...)
	}
}

// appendJSONString appends s as a JSON string, escaped as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		// Marshalling a string cannot fail.
		panic(err)
	}
	return append(b, q...)
}

// appendJSONFloat appends f in the shortest form that encoding/json (and
// ECMAScript) uses: plain decimal notation for magnitudes in [1e-6, 1e21),
// exponent notation with an unpadded exponent otherwise. NaN and infinities,
// which JSON cannot represent, are spelled as Prometheus spells them.
func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Turn e-07 into e-7.
		s := b[start:]
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s[n-2] = s[n-1]
			b = b[:len(b)-1]
		}
	}
	return b
}
