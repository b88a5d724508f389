package connector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jsonField is one member of a JSON object, in document order.
type jsonField struct {
	key    string
	value  any  // nil, bool, int64, float64 or string; nested values as JSON text.
	nested bool // The value is the JSON text of an object or array.
}

// decodeObject decodes data, which must hold exactly one JSON object, into
// its members in document order. Numbers without a fraction or exponent that
// fit an int64 become int64, other numbers float64; nested objects and arrays
// become their compact JSON text.
func decodeObject(data []byte) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", jsonKind(data))
	}
	var fields []jsonField
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonSyntax(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("invalid JSON object key")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonSyntax(err)
		}
		v, err := jsonScalar(raw)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
		nested := len(raw) > 0 && (raw[0] == '{' || raw[0] == '[')
		fields = append(fields, jsonField{key: key, value: v, nested: nested})
	}
	if _, err := dec.Token(); err != nil { // The closing brace.
		return nil, jsonSyntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the object")
	}
	return fields, nil
}

func jsonSyntax(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of input")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// jsonKind names the kind of JSON value data starts with.
func jsonKind(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a bool"
	case 'n':
		return "null"
	case '{':
		return "an object"
	}
	return "a number"
}

// jsonScalar converts one valid JSON value to a column value.
func jsonScalar(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		return b.String(), nil
	}
	s := string(raw)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, fmt.Errorf("invalid number %s", shorten(s, 32))
	}
	return f, nil
}

// jsonAt returns the value at the dotted path in the JSON document data;
// an empty path returns data. It reports false when a key is missing.
func jsonAt(data []byte, path string) (json.RawMessage, bool, error) {
	cur := json.RawMessage(data)
	if path == "" {
		return cur, true, nil
	}
	for key := range strings.SplitSeq(path, ".") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil {
			return nil, false, fmt.Errorf("field %q: want an object, got %s", key, jsonKind(cur))
		}
		next, ok := obj[key]
		if !ok {
			return nil, false, nil
		}
		cur = next
	}
	return cur, true, nil
}

// appendJSONValue appends the JSON form of a column value: times as RFC 3339
// strings, floats as appendFloat writes them. NaN and infinities, which JSON
// cannot hold, are errors.
func appendJSONValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, v), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return dst, fmt.Errorf("%v cannot be written as JSON", v)
		}
		return appendFloat(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case time.Time:
		dst = append(dst, '"')
		dst = v.UTC().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"'), nil
	}
	return dst, fmt.Errorf("unsupported value %s", describe(v))
}

// appendJSONString appends s as a JSON string, replacing invalid UTF-8 with
// U+FFFD as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
