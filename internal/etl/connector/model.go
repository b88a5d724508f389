package connector

import (
	"fmt"
	"strings"
	"time"
)

// Type is the type of a column. Values of a column are nil or have the Go
// type listed with the column's Type.
type Type string

// The column types.
const (
	TypeString Type = "string" // string
	TypeInt    Type = "int"    // int64
	TypeFloat  Type = "float"  // float64
	TypeBool   Type = "bool"   // bool
	TypeTime   Type = "time"   // time.Time, in UTC
)

// types lists the valid types in the order error messages show them.
var types = [...]Type{TypeString, TypeInt, TypeFloat, TypeBool, TypeTime}

// ParseType returns the Type named s.
func ParseType(s string) (Type, error) {
	for _, t := range types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown type %q (want one of %s)", s, typeList())
}

// Valid reports whether t is one of the column types.
func (t Type) Valid() bool {
	_, err := ParseType(string(t))
	return err == nil
}

// UnmarshalSetting decodes a type name in connector settings.
func (t *Type) UnmarshalSetting(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a type name (%s), got %s", typeList(), describe(v))
	}
	parsed, err := ParseType(s)
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

func typeList() string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// Column is a named, typed column.
type Column struct {
	Name string
	Type Type
}

// Schema is the ordered list of a batch's columns.
type Schema []Column

// Index returns the position of the column called name, or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	names := make([]string, len(s))
	for i, c := range s {
		names[i] = c.Name
	}
	return names
}

// Equal reports whether s and o have the same columns in the same order.
func (s Schema) Equal(o Schema) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Validate checks that the schema has at least one column, that every name
// is non-empty and unique, and that every type is valid.
func (s Schema) Validate() error {
	if len(s) == 0 {
		return fmt.Errorf("schema has no columns")
	}
	seen := make(map[string]bool, len(s))
	for i, c := range s {
		switch {
		case c.Name == "":
			return fmt.Errorf("column %d has no name", i+1)
		case seen[c.Name]:
			return fmt.Errorf("column %q appears twice", c.Name)
		case !c.Type.Valid():
			return fmt.Errorf("column %q: unknown type %q (want one of %s)", c.Name, c.Type, typeList())
		}
		seen[c.Name] = true
	}
	return nil
}

// String formats the schema as "name type, name type".
func (s Schema) String() string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteByte(' ')
		b.WriteString(string(c.Type))
	}
	return b.String()
}

// Batch is a group of rows sharing a schema. Each row has one value per
// column: nil, or a value of the column's Go type (see Type). A batch passed
// to an emit function or sent to a sink belongs to the receiver; the sender
// does not modify it afterwards.
type Batch struct {
	Schema Schema
	Rows   [][]any // One value per column of Schema, in its order.
}

// Len returns the number of rows.
func (b Batch) Len() int { return len(b.Rows) }

// Bytes returns the size of the batch's values as Vigil counts bytes moved:
// 8 per number or time, 1 per bool, the length of each string, 0 per null.
func (b Batch) Bytes() int64 {
	var n int64
	for _, row := range b.Rows {
		for _, v := range row {
			n += valueSize(v)
		}
	}
	return n
}

// valueSize returns the size Batch.Bytes counts for v.
func valueSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case bool:
		return 1
	case int64, float64, time.Time:
		return 8
	default:
		return 0
	}
}
