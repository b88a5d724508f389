// Package otlp receives OpenTelemetry metrics over OTLP/HTTP and stores them
// as Prometheus samples.
//
// Many of the systems Vigil watches export OpenTelemetry rather than
// Prometheus metrics. This package lets them push to Vigil directly, without
// a Collector in between, and makes their metrics look exactly as they would
// in Prometheus's own OTLP receiver, so that PromQL rules and Grafana
// dashboards written for Prometheus work unchanged.
//
// It has three parts: Decode parses an ExportMetricsServiceRequest in
// protobuf or OTLP JSON; Translate appends its data points to a
// storage.AppenderV2; Handler serves POST /v1/metrics with both, as the
// OTLP/HTTP specification asks.
//
// The translation follows Prometheus's default UnderscoreEscapingWithSuffixes
// strategy with scope metadata promoted:
//
//   - Metric names have invalid characters replaced by "_" and get unit
//     suffixes (_seconds, _bytes, _per_second, ...); monotonic sums end in
//     _total and gauges of unit "1" in _ratio. Attribute keys become label
//     names the same way; values of keys that collide are joined with ";".
//   - A gauge, and a non-monotonic sum, is one gauge series; a monotonic
//     cumulative sum is a counter.
//   - A histogram is a classic histogram: cumulative _bucket{le} series with
//     le="+Inf", _sum and _count. A summary is {quantile} series, _sum and
//     _count. An exponential histogram is a native histogram of the same
//     schema, its scale reduced to Prometheus's maximum of 8 if higher.
//   - service.namespace/service.name becomes job, service.instance.id becomes
//     instance, and the other resource attributes go to a target_info series
//     of value 1. The scope's name, version, schema URL and attributes become
//     otel_scope_* labels.
//   - Timestamps are converted from nanoseconds to milliseconds. A data point
//     flagged as having no recorded value becomes a stale marker. NaN and
//     infinities are stored as they are.
//   - Exemplars become Prometheus exemplars with trace_id and span_id labels;
//     for histograms they go to the bucket their value falls in.
//
// Bad input is handled per data point: a data point that cannot be translated
// is skipped and counted with a Reason, the rest is stored, and the Handler
// reports the rejections as an OTLP partial success. Data points that break
// the OTLP data model (histogram buckets that do not add up to the count,
// quantiles outside [0, 1], no value, no timestamp) are rejected rather than
// stored half-right. The Handler also rejects samples more than ten minutes
// ahead of its clock, which would otherwise push the TSDB head forward and
// make all current samples too old, and bounds how far a request may expand
// into label data, since every bucket of a histogram repeats its labels.
//
// What it does not do: it does not accept delta temporality (Prometheus stores
// only cumulative data unless converted; the data points are rejected), does
// not convert explicit-bucket histograms to native histograms with custom
// buckets, does not promote resource attributes other than those for job and
// instance to labels, and has no UTF-8 or suffix-free naming modes. It does
// not serve gRPC, logs or traces, and it does not authenticate or rate-limit:
// that belongs to the HTTP server in front of it.
package otlp
