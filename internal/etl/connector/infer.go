package connector

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// defaultInferRows is how many rows sources read to infer column types when
// the settings do not say.
const defaultInferRows = 1000

// Candidate types of a column during inference, as bits. A string is always
// possible and has no bit.
const (
	maybeInt uint8 = 1 << iota
	maybeFloat
	maybeBool
	maybeTime
	maybeAll = maybeInt | maybeFloat | maybeBool | maybeTime
)

// inference narrows down the type of each column from sample values: a
// column is an int if every non-null value is one, else a float if every
// value is a number, else a bool, else a time, else a string. A column with
// no non-null value is a string.
type inference struct {
	possible []uint8
	seen     []bool
}

func newInference(columns int) *inference {
	in := &inference{possible: make([]uint8, columns), seen: make([]bool, columns)}
	for i := range in.possible {
		in.possible[i] = maybeAll
	}
	return in
}

// addText narrows column col by a non-empty text field.
func (in *inference) addText(col int, s string) {
	if in.possible[col] == 0 {
		return // Already a string.
	}
	in.seen[col] = true
	in.possible[col] &= textKinds(s, in.possible[col])
}

// addValue narrows column col by a decoded value, as a JSON decoder yields
// them. Strings can only be times or strings: a JSON "42" stays a string.
func (in *inference) addValue(col int, v any) {
	if v == nil || in.possible[col] == 0 {
		return
	}
	in.seen[col] = true
	var kinds uint8
	switch v := v.(type) {
	case int64:
		kinds = maybeInt | maybeFloat
	case float64:
		kinds = maybeFloat
	case bool:
		kinds = maybeBool
	case string:
		if in.possible[col]&maybeTime != 0 {
			if _, ok := parseTime(v); ok {
				kinds = maybeTime
			}
		}
	}
	in.possible[col] &= kinds
}

// textKinds returns which of the types in want the text s parses as.
func textKinds(s string, want uint8) uint8 {
	var kinds uint8
	if want&(maybeInt|maybeFloat) != 0 {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return maybeInt | maybeFloat
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil && looksNumeric(s) {
			kinds |= maybeFloat
		}
	}
	if want&maybeBool != 0 && isBoolWord(s) {
		kinds |= maybeBool
	}
	if want&maybeTime != 0 {
		if _, ok := parseTime(s); ok {
			kinds |= maybeTime
		}
	}
	return kinds
}

// looksNumeric reports whether s is written as a number, so that words such
// as "inf" or "nan", which strconv accepts, are not taken for floats.
func looksNumeric(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '.')
}

// isBoolWord reports whether s is true or false in any letter case. Unlike
// strconv.ParseBool it rejects 1, 0, t and f, which are more likely numbers
// and letters.
func isBoolWord(s string) bool {
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
}

// types returns the inferred type of each column.
func (in *inference) types() []Type {
	out := make([]Type, len(in.possible))
	for i, p := range in.possible {
		switch {
		case !in.seen[i]:
			out[i] = TypeString
		case p&maybeInt != 0:
			out[i] = TypeInt
		case p&maybeFloat != 0:
			out[i] = TypeFloat
		case p&maybeBool != 0:
			out[i] = TypeBool
		case p&maybeTime != 0:
			out[i] = TypeTime
		default:
			out[i] = TypeString
		}
	}
	return out
}

// columnsSetting is a declared schema in settings: either a list of
// {name, type} maps, which keeps the order, or a map from column name to
// type, which orders the columns by name.
type columnsSetting Schema

// UnmarshalSetting decodes either form.
func (c *columnsSetting) UnmarshalSetting(v any) error {
	var schema Schema
	if m, ok := asStringMap(v); ok {
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			var t Type
			if err := t.UnmarshalSetting(m[name]); err != nil {
				return &settingError{path: name, err: err}
			}
			schema = append(schema, Column{Name: name, Type: t})
		}
	} else {
		var list []struct {
			Name string `setting:"name"`
			Type Type   `setting:"type"`
		}
		if _, ok := asList(v); !ok {
			return fmt.Errorf("want a list of {name, type} or a map from name to type, got %s", describe(v))
		}
		if err := decodeValue("", v, reflect.ValueOf(&list).Elem()); err != nil {
			return err
		}
		for i, e := range list {
			if e.Type == "" {
				return &settingError{path: fmt.Sprintf("[%d].type", i), err: fmt.Errorf("column %q has no type", e.Name)}
			}
			schema = append(schema, Column{Name: e.Name, Type: e.Type})
		}
	}
	if err := schema.Validate(); err != nil {
		return err
	}
	*c = columnsSetting(schema)
	return nil
}
