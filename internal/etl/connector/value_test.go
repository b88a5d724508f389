package connector

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseValue(t *testing.T) {
	when := time.Date(2024, 3, 1, 12, 30, 0, 500, time.UTC)
	f := func(s string, typ Type, want any, wantErr string) {
		t.Helper()
		got, err := ParseValue(s, typ)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("ParseValue(%q, %s) error = %v, want it to mention %q", s, typ, err, wantErr)
			}
			return
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseValue(%q, %s) = %#v, %v; want %#v", s, typ, got, err, want)
		}
	}
	f("42", TypeInt, int64(42), "")
	f(" -7 ", TypeInt, int64(-7), "")
	f("3.0", TypeInt, int64(3), "")
	f("3.5", TypeInt, nil, `"3.5" is not an int`)
	f("1e400", TypeFloat, nil, "is not a float")
	f("2.5", TypeFloat, 2.5, "")
	f("TRUE", TypeBool, true, "")
	f("yes", TypeBool, nil, "is not a bool")
	f("2024-03-01T12:30:00.0000005Z", TypeTime, when, "")
	f("2024-03-01 13:30:00.0000005+01:00", TypeTime, when, "")
	f("2024-03-01T12:30:00.0000005", TypeTime, when, "")
	f("2024-03-01", TypeTime, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "")
	f("03/01/2024", TypeTime, nil, "is not a time")
	f("x", TypeString, "x", "")
	f("x", Type("blob"), nil, "unknown type")
}

func TestConvert(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	f := func(v any, typ Type, want any, wantErr string) {
		t.Helper()
		got, err := Convert(v, typ)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("Convert(%#v, %s) error = %v, want it to mention %q", v, typ, err, wantErr)
			}
			return
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Convert(%#v, %s) = %#v, %v; want %#v", v, typ, got, err, want)
		}
	}
	f(nil, TypeInt, nil, "")
	f(int64(3), TypeFloat, 3.0, "")
	f(3.0, TypeInt, int64(3), "")
	f(3.5, TypeInt, nil, "not a whole number")
	f(math.Inf(1), TypeInt, nil, "not a whole number")
	f(true, TypeInt, int64(1), "")
	f(int64(0), TypeBool, false, "")
	f(int64(2), TypeBool, nil, "want 0 or 1")
	f(2.0, TypeBool, nil, "cannot convert float 2 to bool")
	f("12", TypeInt, int64(12), "")
	f(int64(1700000000), TypeTime, epoch, "")
	f(epoch, TypeInt, int64(1700000000), "")
	f(3.0, TypeString, "3.0", "")
	f(epoch, TypeString, "2023-11-14T22:13:20Z", "")
	f(true, TypeTime, nil, "cannot convert bool true to time")
}

func TestFormatValueRoundTrips(t *testing.T) {
	for _, v := range []any{int64(-12), 3.0, 0.1, 1e21, 1e-7, -0.0, true, "a,b", ts(t, "2024-01-02T03:04:05.123456789Z")} {
		typ, _ := TypeOf(v)
		s := FormatValue(v)
		back, err := ParseValue(s, typ)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Errorf("FormatValue(%#v) = %q, parsed back as %#v, %v", v, s, back, err)
		}
		// Text inference must read a formatted float back as a float.
		in := newInference(1)
		in.addText(0, s)
		if got := in.types()[0]; got != typ && !(typ == TypeString) {
			t.Errorf("FormatValue(%#v) = %q is inferred as %s, want %s", v, s, got, typ)
		}
	}
	if got := FormatValue(nil); got != "" {
		t.Errorf("FormatValue(nil) = %q, want empty", got)
	}
}

func TestInferText(t *testing.T) {
	f := func(want Type, values ...string) {
		t.Helper()
		in := newInference(1)
		for _, v := range values {
			in.addText(0, v)
		}
		if got := in.types()[0]; got != want {
			t.Errorf("infer %q = %s, want %s", values, got, want)
		}
	}
	f(TypeString)
	f(TypeInt, "1", "-2", "300")
	f(TypeFloat, "1", "2.5")
	f(TypeFloat, "1e3")
	f(TypeString, "1", "x")
	f(TypeString, "inf")
	f(TypeBool, "true", "FALSE")
	f(TypeString, "1", "true")
	f(TypeTime, "2024-01-01", "2024-01-01T10:00:00Z")
	f(TypeString, "2024-01-01", "soon")
}

func TestSchemaValidate(t *testing.T) {
	ok := Schema{{"a", TypeInt}, {"b", TypeString}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%s) = %v", ok, err)
	}
	for _, s := range []Schema{nil, {{"", TypeInt}}, {{"a", TypeInt}, {"a", TypeBool}}, {{"a", "decimal"}}} {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%v) = nil, want an error", s)
		}
	}
	b := Batch{Schema: ok, Rows: [][]any{{int64(1), "abc"}, {nil, ""}}}
	if got := b.Bytes(); got != 11 {
		t.Errorf("Bytes() = %d, want 11", got)
	}
}

func nanValue() float64 { return math.NaN() }
