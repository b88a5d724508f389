package connector

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// timeLayouts are the layouts ParseValue accepts for time values, tried in
// order. Layouts without a zone are read as UTC.
var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// maxExactFloatInt is the largest integer magnitude a float64 holds exactly.
const maxExactFloatInt = 1 << 53

// TypeOf returns the Type of a non-nil value of one of the column Go types.
func TypeOf(v any) (Type, bool) {
	switch v.(type) {
	case string:
		return TypeString, true
	case int64:
		return TypeInt, true
	case float64:
		return TypeFloat, true
	case bool:
		return TypeBool, true
	case time.Time:
		return TypeTime, true
	default:
		return "", false
	}
}

// CheckValue reports whether v may be stored in a column of type t: it is nil
// or has t's Go type.
func CheckValue(v any, t Type) bool {
	if v == nil {
		return true
	}
	got, ok := TypeOf(v)
	return ok && got == t
}

// ParseValue parses the text s as a value of type t. Numbers and bools use Go
// syntax (strconv); times are RFC 3339, optionally with a space instead of
// the T, without a zone (read as UTC), or a bare date. ParseValue does not
// treat any text as null; callers decide what an empty field means.
func ParseValue(s string, t Type) (any, error) {
	switch t {
	case TypeString:
		return s, nil
	case TypeInt:
		return parseInt(s)
	case TypeFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float", s)
		}
		return f, nil
	case TypeBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a bool", s)
		}
		return b, nil
	case TypeTime:
		tm, ok := parseTime(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a time (want RFC 3339, such as 2006-01-02T15:04:05Z)", s)
		}
		return tm, nil
	default:
		return nil, fmt.Errorf("unknown type %q", t)
	}
}

// parseInt parses s as an integer, also accepting a float literal with no
// fractional part, such as 3.0 or 1e3.
func parseInt(s string) (any, error) {
	s = strings.TrimSpace(s)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if i, ok := floatToInt(f); ok {
			return i, nil
		}
	}
	return nil, fmt.Errorf("%q is not an int", s)
}

// parseTime parses s with the first of timeLayouts that fits.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	// Every layout starts with a four-digit year and a dash; this check keeps
	// type inference from trying five layouts on every non-time string.
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// floatToInt converts f to an int64 if it is a whole number in range.
func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// Convert converts v to type t. Nil stays nil. Strings are parsed as
// ParseValue does; numbers convert to each other when no information is lost
// (a float must be a whole number to become an int); bools become 1 or 0 and
// only 1 and 0 become bools; ints are Unix seconds as times and times are Unix
// seconds as ints; anything becomes a string in the text form FormatValue
// writes. Other conversions are errors.
func Convert(v any, t Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if CheckValue(v, t) {
		if tm, ok := v.(time.Time); ok {
			return tm.UTC(), nil
		}
		return v, nil // Already of type t: no conversion, and no new allocation.
	}
	switch t {
	case TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if _, ok := TypeOf(v); ok {
			return FormatValue(v), nil
		}
	case TypeInt:
		return toInt(v)
	case TypeFloat:
		return toFloat(v)
	case TypeBool:
		return toBool(v)
	case TypeTime:
		return toTime(v)
	default:
		return nil, fmt.Errorf("unknown type %q", t)
	}
	return nil, cannotConvert(v, t)
}

func toInt(v any) (any, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case float64:
		if i, ok := floatToInt(v); ok {
			return i, nil
		}
		return nil, fmt.Errorf("%v is not a whole number", v)
	case bool:
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		return parseInt(v)
	case time.Time:
		return v.Unix(), nil
	}
	return nil, cannotConvert(v, TypeInt)
}

func toFloat(v any) (any, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	case bool:
		if v {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		return ParseValue(v, TypeFloat)
	}
	return nil, cannotConvert(v, TypeFloat)
}

func toBool(v any) (any, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case int64:
		switch v {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
		return nil, fmt.Errorf("%d is not a bool (want 0 or 1)", v)
	case string:
		return ParseValue(v, TypeBool)
	}
	return nil, cannotConvert(v, TypeBool)
}

func toTime(v any) (any, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case int64:
		return time.Unix(v, 0).UTC(), nil
	case string:
		return ParseValue(v, TypeTime)
	}
	return nil, cannotConvert(v, TypeTime)
}

func cannotConvert(v any, t Type) error {
	return fmt.Errorf("cannot convert %s to %s", describe(v), t)
}

// FormatValue returns the text form of a column value: "" for nil, RFC 3339
// with nanoseconds for times, and for floats the shortest text that parses
// back to the same float and still reads as a float (3.0, not 3).
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return string(appendFloat(nil, v))
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(v)
	}
}

// appendFloat appends the shortest text of f that parses back to f, adding
// ".0" to whole numbers so the text is not read back as an int.
func appendFloat(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' || c == 'e' || c == 'n' || c == 'N' { // NaN, +Inf and -Inf hold an n.
			return dst
		}
	}
	return append(dst, '.', '0')
}

// describe names v's type and value for error messages, shortening long
// values.
func describe(v any) string {
	if v == nil {
		return "null"
	}
	var kind string
	switch v.(type) {
	case string:
		kind = "string"
	case int, int64, uint64, int32:
		kind = "int"
	case float64, float32:
		kind = "float"
	case bool:
		kind = "bool"
	case time.Time:
		kind = "time"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	default:
		kind = fmt.Sprintf("%T", v)
	}
	s := fmt.Sprint(v)
	if _, ok := v.(string); ok {
		s = strconv.Quote(s)
	}
	return kind + " " + shorten(s, 64)
}

// shorten cuts s to at most n bytes, on a character boundary, marking the cut
// with an ellipsis.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
