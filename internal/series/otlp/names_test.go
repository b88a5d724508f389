package otlp

import (
	"testing"

	"github.com/prometheus/otlptranslator"
)

func TestMetricName(t *testing.T) {
	tests := []struct {
		name, unit string
		kind       metricKind
		want       string
	}{
		{"http.server.duration", "s", kindHistogram, "http_server_duration_seconds"},
		{"http.server.duration", "ms", kindHistogram, "http_server_duration_milliseconds"},
		{"system.memory.usage", "By", kindUpDownCounter, "system_memory_usage_bytes"},
		{"system.network.io", "By", kindCounter, "system_network_io_bytes_total"},
		{"requests", "1", kindCounter, "requests_total"},
		{"requests.total", "", kindCounter, "requests_total"},
		{"total.requests", "", kindCounter, "requests_total"},
		{"cpu.utilization", "1", kindGauge, "cpu_utilization_ratio"},
		{"cpu.utilization", "1", kindUpDownCounter, "cpu_utilization"},
		{"ratio.of.things", "1", kindGauge, "of_things_ratio"},
		{"disk.io", "By/s", kindGauge, "disk_io_bytes_per_second"},
		{"temperature", "Cel", kindGauge, "temperature_celsius"},
		{"requests", "{request}", kindCounter, "requests_total"},
		{"queue", "{item}/s", kindGauge, "queue_per_second"},
		{"latency_seconds", "s", kindGauge, "latency_seconds"},
		{"foo__bar", "", kindGauge, "foo_bar"},
		{"__foo__", "", kindGauge, "foo"},
		{"9lives", "", kindGauge, "_9lives"},
		{"ns:metric", "", kindGauge, "ns:metric"},
		{"über.metric", "", kindGauge, "ber_metric"},
		{"weird", "a b", kindGauge, "weird_a_b"},
		{"weird", "%", kindGauge, "weird_percent"},
		// Prometheus keeps this quirk: the per-unit is compared with single
		// words, so it is appended again.
		{"foo_per_second", "1/s", kindGauge, "foo_per_second_per_second"},
	}
	for _, tc := range tests {
		got, err := metricName(tc.name, tc.unit, tc.kind)
		if err != nil || got != tc.want {
			t.Errorf("metricName(%q, %q, %d) = %q, %v; want %q", tc.name, tc.unit, tc.kind, got, err, tc.want)
		}
	}
	for _, name := range []string{"", "...", "…"} {
		if got, err := metricName(name, "", kindGauge); err == nil {
			t.Errorf("metricName(%q) = %q, want an error", name, got)
		}
	}
}

func TestLabelName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"http.method", "http_method"},
		{"plain", "plain"},
		{"with_underscore", "with_underscore"},
		{"_leading", "_leading"},
		{"trailing_", "trailing_"},
		{"a__b", "a_b"},
		{"a.-b", "a_b"},
		{"1st", "key_1st"},
		{"__reserved__", "__reserved__"},
		{"__re.served__", "__re_served__"},
		{"__a", "_a"},
		{"über", "_ber"},
		{"Größe", "Gr_e"},
	}
	for _, tc := range tests {
		got, err := labelName(tc.key)
		if err != nil || got != tc.want {
			t.Errorf("labelName(%q) = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
	for _, key := range []string{"", "_", "...", "____", "…"} {
		if got, err := labelName(key); err == nil {
			t.Errorf("labelName(%q) = %q, want an error", key, got)
		}
	}
}

// namingSeeds are names, units and keys that exercise the naming rules; the
// differential tests combine them.
var namingSeeds = []string{
	"", "_", "__", "____", "a", "A1", "9", "9lives", "http.server.duration", "foo__bar", "__foo__", "__x.y__",
	"ns:metric", "total", "requests.total", "ratio", "x_ratio", "seconds", "latency_seconds", "per_second",
	"über", "Größe", "a b", "a/b", "{req}", "{req}/s", "By/s", "1/s", "s", "ms", "By", "KiBy", "1", "%", "Cel",
	"m/s", "/s", "s/", " s ", "a.", "_a_", "a\xffb", "…", "\x00",
}

// TestNamesMatchPrometheus checks the naming rules against Prometheus's own
// implementation in github.com/prometheus/otlptranslator.
func TestNamesMatchPrometheus(t *testing.T) {
	for _, a := range namingSeeds {
		checkLabelNameMatches(t, a)
		for _, b := range namingSeeds {
			checkMetricNameMatches(t, a, b)
		}
	}
}

// FuzzNamesMatchPrometheus is TestNamesMatchPrometheus with generated input.
func FuzzNamesMatchPrometheus(f *testing.F) {
	for _, s := range namingSeeds {
		f.Add(s, "s")
		f.Add("metric", s)
	}
	f.Fuzz(func(t *testing.T, name, unit string) {
		checkLabelNameMatches(t, name)
		checkMetricNameMatches(t, name, unit)
	})
}

func checkMetricNameMatches(t *testing.T, name, unit string) {
	t.Helper()
	kinds := map[metricKind]otlptranslator.MetricType{
		kindGauge:                otlptranslator.MetricTypeGauge,
		kindCounter:              otlptranslator.MetricTypeMonotonicCounter,
		kindUpDownCounter:        otlptranslator.MetricTypeNonMonotonicCounter,
		kindHistogram:            otlptranslator.MetricTypeHistogram,
		kindExponentialHistogram: otlptranslator.MetricTypeExponentialHistogram,
		kindSummary:              otlptranslator.MetricTypeSummary,
	}
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	for kind, typ := range kinds {
		got, gotErr := metricName(name, unit, kind)
		want, wantErr := namer.Build(otlptranslator.Metric{Name: name, Unit: unit, Type: typ})
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("metricName(%q, %q, %d) = %q, %v; Prometheus gives %q, %v", name, unit, kind, got, gotErr, want, wantErr)
		}
	}
	unitNamer := otlptranslator.UnitNamer{}
	if got, want := unitName(unit), unitNamer.Build(unit); got != want {
		t.Errorf("unitName(%q) = %q; Prometheus gives %q", unit, got, want)
	}
}

func checkLabelNameMatches(t *testing.T, key string) {
	t.Helper()
	namer := otlptranslator.LabelNamer{}
	got, gotErr := labelName(key)
	want, wantErr := namer.Build(key)
	if got != want || (gotErr == nil) != (wantErr == nil) {
		t.Errorf("labelName(%q) = %q, %v; Prometheus gives %q, %v", key, got, gotErr, want, wantErr)
	}
}
