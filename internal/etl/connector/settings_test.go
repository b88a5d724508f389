package connector

import (
	"strings"
	"testing"
	"time"
)

type testInner struct {
	Size int    `setting:"size"`
	Name string `setting:"name"`
}

type testEmbedded struct {
	Shared string `setting:"shared"`
}

type testSettings struct {
	testEmbedded
	Path    string            `setting:"path"`
	Enabled bool              `setting:"enabled"`
	Ratio   float64           `setting:"ratio"`
	Timeout Duration          `setting:"timeout"`
	At      time.Time         `setting:"at"`
	Keys    []string          `setting:"keys"`
	Headers map[string]string `setting:"headers"`
	Inner   testInner         `setting:"inner"`
	List    []testInner       `setting:"list"`
	Opt     *int              `setting:"opt"`
	Type    Type              `setting:"type"`
	ignored string
}

func TestDecodeSettings(t *testing.T) {
	var s testSettings
	err := DecodeSettings(map[string]any{
		"shared":  "x",
		"path":    "a.csv",
		"enabled": true,
		"ratio":   2, // An int is a fine float.
		"timeout": "1m30s",
		"at":      "2024-01-01T00:00:00Z",
		"keys":    []any{"a", "b"},
		"headers": map[string]any{"X-A": "1"},
		"inner":   map[string]any{"size": 3.0, "name": "n"},
		"list":    []any{map[string]any{"size": 1}},
		"opt":     7,
		"type":    "float",
		"nothing": nil,
	}, &s)
	if err == nil || !strings.Contains(err.Error(), `unknown key "nothing"`) {
		t.Fatalf("DecodeSettings with an unknown null key = %v, want an unknown key error", err)
	}
	s = testSettings{}
	err = DecodeSettings(map[string]any{
		"shared": "x", "path": "a.csv", "enabled": true, "ratio": 2, "timeout": "1m30s",
		"at": "2024-01-01T00:00:00Z", "keys": []string{"a", "b"}, "headers": map[string]string{"X-A": "1"},
		"inner": map[string]any{"size": 3.0, "name": "n"}, "list": []any{map[string]any{"size": 1}},
		"opt": 7, "type": "float",
	}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Shared != "x" || s.Path != "a.csv" || !s.Enabled || s.Ratio != 2 || time.Duration(s.Timeout) != 90*time.Second ||
		!s.At.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || len(s.Keys) != 2 || s.Headers["X-A"] != "1" ||
		s.Inner.Size != 3 || s.Inner.Name != "n" || len(s.List) != 1 || s.List[0].Size != 1 || *s.Opt != 7 || s.Type != TypeFloat {
		t.Errorf("decoded %+v", s)
	}
}

func TestDecodeSettingsErrors(t *testing.T) {
	f := func(settings map[string]any, want string) {
		t.Helper()
		var s testSettings
		err := DecodeSettings(settings, &s)
		if err == nil || err.Error() != want {
			t.Errorf("DecodeSettings(%v) = %v, want %q", settings, err, want)
		}
	}
	f(map[string]any{"pth": "x"}, `unknown key "pth" (known keys: at, enabled, headers, inner, keys, list, opt, path, ratio, shared, timeout, type)`)
	f(map[string]any{"inner": map[string]any{"sise": 1}}, `unknown key "inner.sise" (known keys: name, size)`)
	f(map[string]any{"list": []any{map[string]any{}, map[string]any{"size": "big"}}}, `key "list[1].size": want an integer, got string "big"`)
	f(map[string]any{"path": 3}, `key "path": want a string, got int 3`)
	f(map[string]any{"enabled": "yes"}, `key "enabled": want true or false, got string "yes"`)
	f(map[string]any{"inner": 1.5}, `key "inner": want a map of settings, got float 1.5`)
	f(map[string]any{"inner": map[string]any{"size": 1.5}}, `key "inner.size": want an integer, got float 1.5`)
	f(map[string]any{"keys": "a"}, `key "keys": want a list, got string "a"`)
	f(map[string]any{"timeout": 30}, `key "timeout": want a duration such as 30s or 5m, got int 30`)
	f(map[string]any{"timeout": "soon"}, `key "timeout": "soon" is not a duration (want such as 30s, 5m, 1h or 1d)`)
	f(map[string]any{"type": "decimal"}, `key "type": unknown type "decimal" (want one of string, int, float, bool, time)`)
	f(map[string]any{"at": "yesterday"}, `key "at": want a time such as 2006-01-02T15:04:05Z, got string "yesterday"`)
}

func TestParseDuration(t *testing.T) {
	f := func(s string, want time.Duration, ok bool) {
		t.Helper()
		got, err := ParseDuration(s)
		if (err == nil) != ok || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", s, got, err, want, ok)
		}
	}
	f("30s", 30*time.Second, true)
	f("1d12h", 36*time.Hour, true)
	f("1w", 7*24*time.Hour, true)
	f("1h30m", 90*time.Minute, true)
	f("250ms", 250*time.Millisecond, true)
	f("1.5s", 1500*time.Millisecond, true)
	f("1m1h", time.Hour+time.Minute, true) // Go notation takes units in any order.
	f("1d1d", 0, false)
	f("-5s", 0, false)
	f("", 0, false)
	f("5", 0, false)
}

func TestColumnsSetting(t *testing.T) {
	var c columnsSetting
	if err := c.UnmarshalSetting([]any{map[string]any{"name": "b", "type": "int"}, map[string]any{"name": "a", "type": "time"}}); err != nil {
		t.Fatal(err)
	}
	if want := (Schema{{"b", TypeInt}, {"a", TypeTime}}); !Schema(c).Equal(want) {
		t.Errorf("list form = %s, want %s", Schema(c), want)
	}
	if err := c.UnmarshalSetting(map[string]any{"b": "int", "a": "string"}); err != nil {
		t.Fatal(err)
	}
	if want := (Schema{{"a", TypeString}, {"b", TypeInt}}); !Schema(c).Equal(want) {
		t.Errorf("map form = %s, want %s", Schema(c), want)
	}
	var s struct {
		Columns columnsSetting `setting:"columns"`
	}
	err := DecodeSettings(map[string]any{"columns": []any{map[string]any{"name": "a"}}}, &s)
	if err == nil || err.Error() != `key "columns[0].type": column "a" has no type` {
		t.Errorf("column without type: %v", err)
	}
	err = DecodeSettings(map[string]any{"columns": []any{map[string]any{"name": "a", "typ": "int"}}}, &s)
	if err == nil || !strings.HasPrefix(err.Error(), `unknown key "columns[0].typ"`) {
		t.Errorf("column with unknown key: %v", err)
	}
	err = DecodeSettings(map[string]any{"columns": map[string]any{"a": "money"}}, &s)
	if err == nil || !strings.HasPrefix(err.Error(), `key "columns.a": unknown type "money"`) {
		t.Errorf("map column with a bad type: %v", err)
	}
}
