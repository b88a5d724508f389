package spec

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ByteSize is an amount of memory, written as a whole number of bytes with
// an optional binary unit: 1048576, 512KiB, 256MiB, 1GiB, 2TiB. Decimal
// units (MB, GB) are refused rather than guessed at, since the two readings
// differ by up to ten percent.
type ByteSize int64

// byteUnits lists the units of the notation, largest first.
var byteUnits = [...]struct {
	name string
	size int64
}{
	{"TiB", 1 << 40},
	{"GiB", 1 << 30},
	{"MiB", 1 << 20},
	{"KiB", 1 << 10},
	{"B", 1},
}

// ParseByteSize parses the notation described at ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: expected a whole number of bytes, optionally with a unit such as MiB", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: number too large", s)
	}
	unit := s[i:]
	if unit == "" {
		return ByteSize(n), nil
	}
	for _, u := range byteUnits {
		if u.name != unit {
			continue
		}
		if n > (1<<63-1)/u.size {
			return 0, fmt.Errorf("size %q: too large", s)
		}
		return ByteSize(n * u.size), nil
	}
	return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB or TiB)", s, unit)
}

// String formats b with the largest unit that divides it exactly.
func (b ByteSize) String() string {
	if b <= 0 {
		return strconv.FormatInt(int64(b), 10)
	}
	for _, u := range byteUnits[:len(byteUnits)-1] {
		if int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML implements yaml.Unmarshaler. Its errors are type errors, so
// that the decoder goes on and reports every bad value of a file at once.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return scalarError(n, "a size such as 256MiB")
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }
