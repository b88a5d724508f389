package spec

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in Prometheus notation: a sequence of
// whole numbers with the units y, w, d, h, m, s and ms, largest first and
// each at most once, as in 30s, 5m, 1h30m, 1d or 2w. A year is 365 days, a
// day 24 hours. "0" is zero. Negative durations cannot be written.
type Duration time.Duration

// durationUnits lists the units of the notation, largest first.
var durationUnits = [...]struct {
	name string
	size time.Duration
}{
	{"y", 365 * 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
	{"ms", time.Millisecond},
}

// ParseDuration parses the notation described at Duration.
func ParseDuration(s string) (Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var (
		total time.Duration
		rest  = s
		next  = 0 // index into durationUnits of the largest unit still allowed
	)
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q", s, rest)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: number too large", s)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("duration %q: missing unit (use y, w, d, h, m, s or ms)", s)
		}
		k := unitIndex(unit)
		if k < 0 {
			return 0, fmt.Errorf("duration %q: unknown unit %q (use y, w, d, h, m, s or ms)", s, unit)
		}
		if k < next {
			return 0, fmt.Errorf("duration %q: unit %q out of order (write larger units first, each once)", s, unit)
		}
		next = k + 1
		size := durationUnits[k].size
		if n > int64(maxDuration/size) || total > maxDuration-time.Duration(n)*size {
			return 0, fmt.Errorf("duration %q: too large", s)
		}
		total += time.Duration(n) * size
	}
	return Duration(total), nil
}

const maxDuration = time.Duration(1<<63 - 1)

func unitIndex(name string) int {
	for i, u := range durationUnits {
		if u.name == name {
			return i
		}
	}
	return -1
}

// String formats d in the notation it is parsed from. Precision below a
// millisecond, which the notation cannot express, is dropped, as Prometheus
// does.
func (d Duration) String() string {
	rest := time.Duration(d)
	if rest <= 0 {
		if rest < 0 {
			return "-" + Duration(-rest).String()
		}
		return "0s"
	}
	var b strings.Builder
	for _, u := range durationUnits {
		if n := rest / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			rest -= n * u.size
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler. Its errors are type errors, so
// that the decoder goes on and reports every bad value of a file at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return scalarError(n, "a duration such as 30s, 5m or 1h")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// scalarError is the type error for a node that is not the scalar expected.
func scalarError(n *yaml.Node, want string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want %s, not %s", n.Line, want, describeNode(n))}}
}

// describeNode names what a YAML node holds, for error messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return strconv.Quote(n.Value)
}
