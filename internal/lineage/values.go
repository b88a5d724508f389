package lineage

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// object is a parsed JSON object with its path, read field by field with
// the checks the schema asks for.
type object struct {
	path string
	m    map[string]any
}

// asObject returns v as an object at path, or an error if it is not one.
func asObject(path string, v any) (object, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return object{}, typeError(path, v, "object")
	}
	return object{path: path, m: m}, nil
}

// at returns the path of the field key.
func (o object) at(key string) string {
	return keyPath(o.path, key)
}

// get returns the value of key and whether it is present, failing when it
// is required and absent.
func (o object) get(key string, required bool) (any, bool, error) {
	v, ok := o.m[key]
	if !ok && required {
		return nil, false, invalid(o.at(key), "required field missing")
	}
	return v, ok, nil
}

// str returns the string key and whether it is present.
func (o object) str(key string, required bool) (string, bool, error) {
	v, ok, err := o.get(key, required)
	if err != nil || !ok {
		return "", false, err
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, typeError(o.at(key), v, "string")
	}
	return s, true, nil
}

// optStr returns the optional string key, empty when absent.
func (o object) optStr(key string) (string, error) {
	s, _, err := o.str(key, false)
	return s, err
}

// reqStr returns the required string key.
func (o object) reqStr(key string) (string, error) {
	s, _, err := o.str(key, true)
	return s, err
}

// name returns the required string key, which must not be empty.
func (o object) name(key string) (string, error) {
	s, err := o.reqStr(key)
	if err == nil && s == "" {
		err = invalid(o.at(key), "must not be empty")
	}
	return s, err
}

// uri returns the required string key, which must be an absolute URI.
func (o object) uri(key string) (string, error) {
	s, err := o.reqStr(key)
	if err != nil {
		return "", err
	}
	if u, perr := url.Parse(s); perr != nil || !u.IsAbs() {
		return "", invalid(o.at(key), "%s is not an absolute URI", quote(s))
	}
	return s, nil
}

// uuid returns the required string key, which must be a UUID, in lower
// case.
func (o object) uuid(key string) (string, error) {
	s, err := o.reqStr(key)
	if err != nil {
		return "", err
	}
	if !isUUID(s) {
		return "", invalid(o.at(key), "%s is not a UUID", quote(s))
	}
	return strings.ToLower(s), nil
}

// timestamp returns the date-time key in UTC, zero when it is optional and
// absent.
func (o object) timestamp(key string, required bool) (time.Time, error) {
	s, ok, err := o.str(key, required)
	if err != nil || !ok {
		return time.Time{}, err
	}
	t, ok := parseTimestamp(s)
	if !ok {
		return time.Time{}, invalid(o.at(key), "%s is not an RFC 3339 date-time with a time zone", quote(s))
	}
	return t, nil
}

// boolean returns the optional boolean key, false when absent.
func (o object) boolean(key string) (bool, error) {
	v, ok := o.m[key]
	if !ok {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, typeError(o.at(key), v, "boolean")
	}
	return b, nil
}

// integer returns the optional integer key, nil when absent. As in JSON
// Schema, a number with a zero fraction such as 2.0 is an integer.
func (o object) integer(key string) (*int64, error) {
	v, ok := o.m[key]
	if !ok {
		return nil, nil
	}
	i, err := toInteger(o.at(key), v)
	if err != nil {
		return nil, err
	}
	return &i, nil
}

// number returns the optional number key, nil when absent.
func (o object) number(key string) (*float64, error) {
	v, ok := o.m[key]
	if !ok {
		return nil, nil
	}
	f, err := toNumber(o.at(key), v)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// object returns the object key and whether it is present.
func (o object) object(key string, required bool) (object, bool, error) {
	v, ok, err := o.get(key, required)
	if err != nil || !ok {
		return object{}, false, err
	}
	sub, err := asObject(o.at(key), v)
	return sub, err == nil, err
}

// array returns the optional array key, nil when absent.
func (o object) array(key string) ([]any, error) {
	v, ok := o.m[key]
	if !ok {
		return nil, nil
	}
	a, isArray := v.([]any)
	if !isArray {
		return nil, typeError(o.at(key), v, "array")
	}
	return a, nil
}

// toInteger returns v as an int64.
func toInteger(path string, v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, typeError(path, v, "integer")
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	switch {
	case err == nil && f != math.Trunc(f):
		return 0, invalid(path, "%s is not an integer", clip(string(n)))
	case err != nil, f < math.MinInt64, f >= math.MaxInt64:
		return 0, invalid(path, "%s is out of the range of a 64-bit integer", clip(string(n)))
	}
	return int64(f), nil
}

// toNumber returns v as a float64.
func toNumber(path string, v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, typeError(path, v, "number")
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, invalid(path, "%s is out of the range of a 64-bit float", clip(string(n)))
	}
	return f, nil
}

// typeError says that v at path is not of the wanted JSON type.
func typeError(path string, v any, want string) error {
	return invalid(path, "got %s, want %s", kindOf(v), want)
}

// kindOf names the JSON type of a parsed value.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

// isUUID reports whether s is a UUID in the 8-4-4-4-12 hexadecimal form, of
// any version and variant, as JSON Schema's uuid format has it.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isDigit reports whether c is a decimal digit.
func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}

// parseTimestamp parses an RFC 3339 date-time (section 5.6), which has a
// time zone, and returns it in UTC. It is stricter than time.Parse, which
// also takes a comma before the fraction and offsets of 24 hours, and
// laxer in taking a lower-case T and Z. Leap seconds are rejected, as
// time.Time cannot hold them, and so are times whose year in UTC falls
// outside 0000-9999, as they cannot be written back.
func parseTimestamp(s string) (time.Time, bool) {
	if !isRFC3339(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// isRFC3339 checks the syntax of an RFC 3339 date-time, leaving the ranges
// of its numbers to time.Parse.
func isRFC3339(s string) bool {
	// The shortest form is 2006-01-02T15:04:05Z.
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 {
		return false
	}
	for i := range len(layout) {
		switch c := s[i]; layout[i] {
		case 'd':
			if !isDigit(c) {
				return false
			}
		case 'T':
			if c != 'T' && c != 't' {
				return false
			}
		default:
			if c != layout[i] {
				return false
			}
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z" || rest == "z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[4]) && isDigit(rest[5]):
		hours := int(rest[1]-'0')*10 + int(rest[2]-'0')
		minutes := int(rest[4]-'0')*10 + int(rest[5]-'0')
		return hours <= 23 && minutes <= 59
	}
	return false
}

// keyPath returns the path of the field key of the object at path, quoting
// keys that are not plain identifiers: run.facets, columnMetrics["a b"].
func keyPath(path, key string) string {
	if !isIdentifier(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath returns the path of element i of the array at path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// isIdentifier reports whether s can follow a dot in a path: ASCII
// letters, digits and '_', not starting with a digit.
func isIdentifier(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// maxQuoted is how much of a bad value an error message repeats.
const maxQuoted = 64

// quote returns s as a Go string literal for error messages, cut after
// maxQuoted bytes so that a huge value does not flood logs and answers.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cutAt(s, maxQuoted)]) + "..."
}

// clip is quote for a number literal, which needs no quotes.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:cutAt(s, maxQuoted)] + "..."
}

// cutAt returns the last rune boundary of s at or before n.
func cutAt(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
