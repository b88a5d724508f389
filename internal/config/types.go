package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Secret is a string that never prints: logs, errors, the config API and
// marshalled YAML or JSON all show "<secret>". Use string(s) only where the
// value is really needed.
type Secret string

const redacted = "<secret>"

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer so %#v hides the value too.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Role is what a token may do. Each role includes the ones before it.
type Role string

// Roles, in increasing order of power.
const (
	RoleViewer   Role = "viewer"   // read: queries, incidents, status
	RoleOperator Role = "operator" // write: ingestion, acknowledgements, control actions
	RoleAdmin    Role = "admin"    // configuration reload and other administration
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a token with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// Duration is a time.Duration written the Prometheus way: 30s, 5m, 2h, 15d, 2w, 1y,
// or combinations such as 1h30m.
type Duration time.Duration

// String formats d in the same notation it is parsed from.
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var (
		b    strings.Builder
		rest = time.Duration(d)
	)
	if rest < 0 {
		b.WriteByte('-')
		rest = -rest
	}
	units := []struct {
		unit string
		size time.Duration
	}{
		{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour},
		{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond},
	}
	for _, u := range units {
		if n := rest / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			rest -= n * u.size
		}
	}
	if rest > 0 {
		fmt.Fprintf(&b, "%dns", rest)
	}
	return b.String()
}

// ParseDuration parses the notation described at Duration.
func ParseDuration(s string) (Duration, error) {
	if s == "0" {
		return 0, nil
	}
	orig := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q", orig, s)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", orig, err)
		}
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		var unit time.Duration
		switch s[:j] {
		case "y":
			unit = 365 * 24 * time.Hour
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		case "ms":
			unit = time.Millisecond
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (use ms, s, m, h, d, w, y)", orig, s[:j])
		}
		if n > int64((1<<63-1)/unit) || total > time.Duration(1<<63-1)-time.Duration(n)*unit {
			return 0, fmt.Errorf("duration %q: too large", orig)
		}
		total += time.Duration(n) * unit
		s = s[j:]
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
