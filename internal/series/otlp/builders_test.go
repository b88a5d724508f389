package otlp

import (
	"fmt"

	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/slim/otlp/resource/v1"
)

// Builders that keep test requests short.

const (
	cumulative  = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	delta       = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
	unspecified = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_UNSPECIFIED
	noValue     = uint32(metricspb.DataPointFlags_DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK)

	// t0 is a data point timestamp, 2023-11-14T22:13:20Z, in nanoseconds;
	// t0ms is the same in milliseconds.
	t0   = uint64(1_700_000_000_000_000_000)
	t0ms = int64(1_700_000_000_000)
	// start is a start timestamp one minute before t0.
	start = t0 - 60_000_000_000
)

func request(rms ...*metricspb.ResourceMetrics) *colmetricspb.ExportMetricsServiceRequest {
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: rms}
}

func resourceMetrics(attrs []*commonpb.KeyValue, sms ...*metricspb.ScopeMetrics) *metricspb.ResourceMetrics {
	return &metricspb.ResourceMetrics{Resource: &resourcepb.Resource{Attributes: attrs}, ScopeMetrics: sms}
}

func scopeMetrics(name, version string, ms ...*metricspb.Metric) *metricspb.ScopeMetrics {
	sm := &metricspb.ScopeMetrics{Metrics: ms}
	if name != "" || version != "" {
		sm.Scope = &commonpb.InstrumentationScope{Name: name, Version: version}
	}
	return sm
}

// attrs builds key-values from alternating keys and values; values may be
// string, int, int64, float64, bool, []byte or *commonpb.AnyValue.
func attrs(kvs ...any) []*commonpb.KeyValue {
	if len(kvs)%2 != 0 {
		panic("attrs: odd number of arguments")
	}
	out := make([]*commonpb.KeyValue, 0, len(kvs)/2)
	for i := 0; i < len(kvs); i += 2 {
		out = append(out, &commonpb.KeyValue{Key: kvs[i].(string), Value: anyValue(kvs[i+1])})
	}
	return out
}

func anyValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case []byte:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: x}}
	case *commonpb.AnyValue:
		return x
	case nil:
		return nil
	}
	panic(fmt.Sprintf("anyValue: unsupported %T", v))
}

func gauge(name, unit string, dps ...*metricspb.NumberDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: dps}}}
}

func sum(name, unit string, monotonic bool, temp metricspb.AggregationTemporality, dps ...*metricspb.NumberDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
		DataPoints: dps, IsMonotonic: monotonic, AggregationTemporality: temp,
	}}}
}

func hist(name, unit string, temp metricspb.AggregationTemporality, dps ...*metricspb.HistogramDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
		DataPoints: dps, AggregationTemporality: temp,
	}}}
}

func expHist(name, unit string, temp metricspb.AggregationTemporality, dps ...*metricspb.ExponentialHistogramDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
		DataPoints: dps, AggregationTemporality: temp,
	}}}
}

func summary(name, unit string, dps ...*metricspb.SummaryDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Summary{Summary: &metricspb.Summary{DataPoints: dps}}}
}

func dbl(ts uint64, v float64, kvs ...any) *metricspb.NumberDataPoint {
	return &metricspb.NumberDataPoint{TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: attrs(kvs...),
		Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: v}}
}

func integer(ts uint64, v int64, kvs ...any) *metricspb.NumberDataPoint {
	return &metricspb.NumberDataPoint{TimeUnixNano: ts, StartTimeUnixNano: start, Attributes: attrs(kvs...),
		Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}
}

func ptr[T any](v T) *T { return &v }
