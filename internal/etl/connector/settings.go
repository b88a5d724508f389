package connector

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SettingUnmarshaler is implemented by setting types that decode themselves
// from the value found in the settings map.
type SettingUnmarshaler interface {
	UnmarshalSetting(v any) error
}

// DecodeSettings decodes settings, as parsed from a pipeline spec, into dst,
// a pointer to a struct. A field is set from the key named by its `setting`
// tag; untagged embedded structs contribute their fields. Decoding is strict:
// an unknown key, or a value of the wrong type, is an error naming the key's
// path, such as pagination.size or columns[2].type. Keys whose value is null
// are left unset.
//
// Field types may be string, bool, int, int64, float64, time.Time (RFC 3339),
// slices, maps with string keys, structs, pointers to them, and any type
// implementing SettingUnmarshaler, such as Duration and Type.
func DecodeSettings(settings map[string]any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode settings into %T: want a non-nil pointer to a struct", dst)
	}
	return decodeStruct("", settings, rv.Elem())
}

// settingError is a decoding error at a key path.
type settingError struct {
	path    string
	err     error
	unknown bool // The key at path is not a setting; err lists the known ones.
}

// Error names the key and what is wrong with it.
func (e *settingError) Error() string {
	switch {
	case e.unknown:
		return fmt.Sprintf("unknown key %q %v", e.path, e.err)
	case e.path == "":
		return e.err.Error()
	}
	return fmt.Sprintf("key %q: %v", e.path, e.err)
}

// Unwrap returns the cause.
func (e *settingError) Unwrap() error { return e.err }

// atPath attributes err to the key at path, unless a deeper key already has it.
func atPath(path string, err error) error {
	var se *settingError
	if errors.As(err, &se) {
		return err
	}
	return &settingError{path: path, err: err}
}

// nestPath attributes err, returned by a SettingUnmarshaler for the value at
// path, to path, prefixing the relative path of a deeper key if it has one.
func nestPath(path string, err error) error {
	var se *settingError
	if !errors.As(err, &se) {
		return &settingError{path: path, err: err}
	}
	inner := *se
	switch {
	case inner.path == "":
		inner.path = path
	case strings.HasPrefix(inner.path, "["):
		inner.path = path + inner.path
	default:
		inner.path = joinPath(path, inner.path)
	}
	return &inner
}

// nonNegative returns an error naming the first setting, in key order,
// whose value is negative.
func nonNegative(values map[string]int64) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if values[k] < 0 {
			return &settingError{path: k, err: fmt.Errorf("must not be negative, got %d", values[k])}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	unmarshalerType = reflect.TypeFor[SettingUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// settingFields maps the setting keys of struct type t to field index paths.
func settingFields(t reflect.Type) map[string][]int {
	fields := make(map[string][]int)
	for i := range t.NumField() {
		f := t.Field(i)
		name, tagged := f.Tag.Lookup("setting")
		if !tagged {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				for k, idx := range settingFields(f.Type) {
					fields[k] = append([]int{i}, idx...)
				}
			}
			continue
		}
		fields[name] = []int{i}
	}
	return fields
}

func decodeStruct(path string, v any, dst reflect.Value) error {
	m, ok := asStringMap(v)
	if !ok {
		return atPath(path, fmt.Errorf("want a map of settings, got %s", describe(v)))
	}
	fields := settingFields(dst.Type())
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // Deterministic: the first unknown key in order.
	for _, k := range keys {
		idx, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			sort.Strings(known)
			return &settingError{path: joinPath(path, k), unknown: true, err: fmt.Errorf("(known keys: %s)", strings.Join(known, ", "))}
		}
		if err := decodeValue(joinPath(path, k), m[k], dst.FieldByIndex(idx)); err != nil {
			return err
		}
	}
	return nil
}

// asStringMap returns v as a map with string keys, if it is one.
func asStringMap(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	m := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		m[it.Key().String()] = it.Value().Interface()
	}
	return m, true
}

// asList returns v as a list, if it is a slice or array.
func asList(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	l := make([]any, rv.Len())
	for i := range l {
		l[i] = rv.Index(i).Interface()
	}
	return l, true
}

func decodeValue(path string, v any, dst reflect.Value) error {
	if v == nil {
		return nil
	}
	if dst.CanAddr() && dst.Addr().Type().Implements(unmarshalerType) {
		if err := dst.Addr().Interface().(SettingUnmarshaler).UnmarshalSetting(v); err != nil {
			return nestPath(path, err)
		}
		return nil
	}
	if dst.Type() == timeType {
		t, err := settingTime(v)
		if err != nil {
			return atPath(path, err)
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	}
	switch dst.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return atPath(path, fmt.Errorf("want a string, got %s", describe(v)))
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return atPath(path, fmt.Errorf("want true or false, got %s", describe(v)))
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := settingInt(v)
		if err != nil {
			return atPath(path, err)
		}
		if dst.OverflowInt(i) {
			return atPath(path, fmt.Errorf("%d is out of range", i))
		}
		dst.SetInt(i)
	case reflect.Float64:
		f, err := settingFloat(v)
		if err != nil {
			return atPath(path, err)
		}
		dst.SetFloat(f)
	case reflect.Slice:
		return decodeSlice(path, v, dst)
	case reflect.Map:
		return decodeMap(path, v, dst)
	case reflect.Struct:
		return decodeStruct(path, v, dst)
	case reflect.Pointer:
		elem := reflect.New(dst.Type().Elem())
		if err := decodeValue(path, v, elem.Elem()); err != nil {
			return err
		}
		dst.Set(elem)
	default:
		return atPath(path, fmt.Errorf("settings of Go type %s are not supported", dst.Type()))
	}
	return nil
}

func decodeSlice(path string, v any, dst reflect.Value) error {
	l, ok := asList(v)
	if !ok {
		return atPath(path, fmt.Errorf("want a list, got %s", describe(v)))
	}
	s := reflect.MakeSlice(dst.Type(), len(l), len(l))
	for i, e := range l {
		if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), e, s.Index(i)); err != nil {
			return err
		}
	}
	dst.Set(s)
	return nil
}

func decodeMap(path string, v any, dst reflect.Value) error {
	if dst.Type().Key().Kind() != reflect.String {
		return atPath(path, fmt.Errorf("settings of Go type %s are not supported", dst.Type()))
	}
	m, ok := asStringMap(v)
	if !ok {
		return atPath(path, fmt.Errorf("want a map, got %s", describe(v)))
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(m))
	for k, e := range m {
		elem := reflect.New(dst.Type().Elem()).Elem()
		if err := decodeValue(joinPath(path, k), e, elem); err != nil {
			return err
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), elem)
	}
	dst.Set(out)
	return nil
}

func settingInt(v any) (int64, error) {
	switch v := v.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", v)
		}
		return int64(v), nil
	case float64:
		if i, ok := floatToInt(v); ok {
			return i, nil
		}
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("want an integer, got %s", describe(v))
}

func settingFloat(v any) (float64, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("want a number, got %s", describe(v))
}

func settingTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		if t, ok := parseTime(v); ok {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want a time such as 2006-01-02T15:04:05Z, got %s", describe(v))
}

// Duration is a time.Duration setting, written as a string in Prometheus
// notation, such as 30s, 5m, 1h30m or 1d, or in Go notation, such as 1.5s.
type Duration time.Duration

// UnmarshalSetting decodes a duration string.
func (d *Duration) UnmarshalSetting(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a duration such as 30s or 5m, got %s", describe(v))
	}
	parsed, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(parsed)
	return nil
}

// durationUnits are the units of Prometheus duration notation, longest
// suffix first so that "ms" is tried before "m" and "s".
var durationUnits = [...]struct {
	suffix string
	unit   time.Duration
}{
	{"ms", time.Millisecond},
	{"y", 365 * 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
}

// ParseDuration parses a non-negative duration in Prometheus notation (whole
// numbers with units y, w, d, h, m, s, ms, largest first, such as 1d12h) or,
// failing that, in Go notation.
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := parsePromDuration(s); ok {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (want such as 30s, 5m, 1h or 1d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}

func parsePromDuration(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	last := -1 // Index in durationUnits of the previous unit; units must shrink.
	for s != "" {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 {
			return 0, false
		}
		num, err := strconv.ParseInt(s[:n], 10, 64)
		if err != nil {
			return 0, false
		}
		s = s[n:]
		found := false
		for i, u := range durationUnits {
			if !strings.HasPrefix(s, u.suffix) {
				continue
			}
			// Order by size: ms is listed first for matching but is smallest.
			rank := i
			if u.suffix == "ms" {
				rank = len(durationUnits)
			}
			if rank <= last || num > int64(math.MaxInt64/u.unit) {
				return 0, false
			}
			last = rank
			total += time.Duration(num) * u.unit
			if total < 0 {
				return 0, false
			}
			s = s[len(u.suffix):]
			found = true
			break
		}
		if !found {
			return 0, false
		}
	}
	return total, true
}
