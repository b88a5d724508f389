package otlp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// metricKind is the Prometheus-relevant shape of an OTLP metric. It decides
// which type suffix a metric name gets and which metadata type is recorded.
type metricKind int

const (
	kindGauge metricKind = iota
	kindCounter
	kindUpDownCounter
	kindHistogram
	kindExponentialHistogram
	kindSummary
)

// unitWords maps UCUM units as OpenTelemetry uses them to the words of
// Prometheus base-unit suffixes. A unit missing from the table is used as it
// is, after invalid characters are replaced.
var unitWords = map[string]string{
	"d":    "days",
	"h":    "hours",
	"min":  "minutes",
	"s":    "seconds",
	"ms":   "milliseconds",
	"us":   "microseconds",
	"ns":   "nanoseconds",
	"By":   "bytes",
	"KiBy": "kibibytes",
	"MiBy": "mebibytes",
	"GiBy": "gibibytes",
	"TiBy": "tibibytes",
	"KBy":  "kilobytes",
	"MBy":  "megabytes",
	"GBy":  "gigabytes",
	"TBy":  "terabytes",
	"m":    "meters",
	"V":    "volts",
	"A":    "amperes",
	"J":    "joules",
	"W":    "watts",
	"g":    "grams",
	"Cel":  "celsius",
	"Hz":   "hertz",
	"1":    "",
	"%":    "percent",
}

// perUnitWords maps the denominator of a rate unit such as "By/s" to the
// singular word used after "per_".
var perUnitWords = map[string]string{
	"s":  "second",
	"m":  "minute",
	"h":  "hour",
	"d":  "day",
	"w":  "week",
	"mo": "month",
	"y":  "year",
}

// metricName returns the Prometheus metric family name for an OTLP metric,
// following Prometheus's default UnderscoreEscapingWithSuffixes strategy:
// characters outside [a-zA-Z0-9:] separate words and runs of them become one
// underscore, the unit is appended as a word unless the name already contains
// it, monotonic counters end in _total, gauges with unit "1" end in _ratio, and
// a leading digit gets an underscore in front.
func metricName(name, unit string, kind metricKind) (string, error) {
	words := strings.FieldsFunc(name, func(r rune) bool { return !isMetricNameChar(r) })

	mainUnit, perUnit := unitSuffixes(unit)
	mainUnit, perUnit = cleanUnit(mainUnit), cleanUnit(perUnit)
	if slices.Contains(words, mainUnit) {
		mainUnit = ""
	}
	if perUnit == "per_" {
		perUnit = ""
	} else {
		perUnit = strings.TrimSuffix(perUnit, "_")
		if slices.Contains(words, perUnit) {
			perUnit = ""
		}
	}
	if perUnit != "" {
		mainUnit = strings.TrimSuffix(mainUnit, "_")
	}
	if mainUnit != "" {
		words = append(words, mainUnit)
	}
	if perUnit != "" {
		words = append(words, perUnit)
	}

	if kind == kindCounter {
		words = append(slices.DeleteFunc(words, func(w string) bool { return w == "total" }), "total")
	}
	if unit == "1" && kind == kindGauge {
		words = append(slices.DeleteFunc(words, func(w string) bool { return w == "ratio" }), "ratio")
	}

	out := strings.Join(words, "_")
	if out == "" {
		return "", fmt.Errorf("metric name %q has no valid characters", name)
	}
	if isDigit(out[0]) {
		out = "_" + out
	}
	if out != name && onlyUnderscores(out) {
		return "", fmt.Errorf("metric name %q normalises to %q", name, out)
	}
	return out, nil
}

// unitName returns the unit recorded in Prometheus metadata for an OTLP unit:
// the same words metricName appends, joined by an underscore.
func unitName(unit string) string {
	mainUnit, perUnit := unitSuffixes(unit)
	mainUnit, perUnit = cleanUnit(mainUnit), cleanUnit(perUnit)
	var u string
	switch {
	case mainUnit != "" && perUnit != "":
		u = mainUnit + "_" + perUnit
	case mainUnit != "":
		u = mainUnit
	default:
		u = perUnit
	}
	u = strings.TrimPrefix(u, "_")
	return strings.TrimSuffix(u, "_")
}

// unitSuffixes splits a UCUM unit such as "By/s" into the words for its
// numerator and denominator ("bytes", "per_second"). Annotations in braces,
// such as "{request}", carry no unit and give no suffix.
func unitSuffixes(unit string) (mainUnit, perUnit string) {
	num, den, hasDen := strings.Cut(unit, "/")
	if num = strings.TrimSpace(num); num != "" && !strings.ContainsAny(num, "{}") {
		mainUnit = num
		if w, ok := unitWords[num]; ok {
			mainUnit = w
		}
	}
	if hasDen {
		if den = strings.TrimSpace(den); den != "" && !strings.ContainsAny(den, "{}") {
			perUnit = den
			if w, ok := perUnitWords[den]; ok {
				perUnit = w
			}
		}
		if perUnit != "" {
			perUnit = "per_" + perUnit
		}
	}
	return mainUnit, perUnit
}

// cleanUnit replaces characters that are invalid in a metric name with
// underscores, collapses runs of underscores and drops a leading one.
func cleanUnit(u string) string {
	if u == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(u))
	underscore := false
	for _, r := range u {
		if !isMetricNameChar(r) {
			r = '_'
		}
		if r == '_' {
			if underscore {
				continue
			}
			underscore = true
		} else {
			underscore = false
		}
		b.WriteRune(r)
	}
	return strings.TrimPrefix(b.String(), "_")
}

// errEmptyLabelName is returned for an attribute whose key is empty.
var errEmptyLabelName = errors.New("attribute key is empty")

// labelName returns the Prometheus label name for an OTLP attribute key:
// characters outside [a-zA-Z0-9] become underscores, with runs of them
// collapsed into one; a leading digit gets "key_" in front; a key of the form
// __x__ keeps its double underscores. A key that normalises to underscores
// only is an error.
func labelName(key string) (string, error) {
	if key == "" {
		return "", errEmptyLabelName
	}
	if isPlainLabelName(key) {
		return key, nil
	}

	inner, reserved := key, false
	if len(key) >= 4 && strings.HasPrefix(key, "__") && strings.HasSuffix(key, "__") {
		inner, reserved = key[2:len(key)-2], true
	}
	var b strings.Builder
	b.Grow(len(key) + 4)
	if reserved {
		b.WriteString("__")
	}
	underscore := false
	for _, r := range inner {
		if isLabelNameChar(r) {
			b.WriteRune(r)
			underscore = false
		} else if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	if reserved {
		b.WriteString("__")
	}
	out := b.String()
	if isDigit(out[0]) {
		out = "key_" + out
	}
	if onlyUnderscores(out) {
		return "", fmt.Errorf("attribute key %q normalises to %q", key, out)
	}
	return out, nil
}

// isPlainLabelName reports whether labelName would return key unchanged
// without building a new string: ASCII letters and digits separated by single
// underscores, not starting with a digit, and not of the reserved __x__ form.
func isPlainLabelName(key string) bool {
	if isDigit(key[0]) || strings.HasPrefix(key, "__") {
		return false
	}
	underscore, letters := false, false
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '_':
			if underscore {
				return false
			}
			underscore = true
		case c < 0x80 && isLabelNameChar(rune(c)):
			underscore, letters = false, true
		default:
			return false
		}
	}
	return letters
}

func isMetricNameChar(r rune) bool {
	return isLabelNameChar(r) || r == ':'
}

func isLabelNameChar(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

func isDigit(c byte) bool {
	return c >= '0' && c <= '9'
}

func onlyUnderscores(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			return false
		}
	}
	return true
}
