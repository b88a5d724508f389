package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigil-aiops/vigil/internal/suggest"
)

// yaml.v3 reports an unknown field as "line N: field X not found in type config.T".
var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)

// explainYAMLError rewrites yaml.v3's unknown-field errors so that they say
// which section the field was in and which known field was probably meant.
func explainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("parse YAML: %w", err)
	}
	fields := yamlFieldsByType(reflect.TypeFor[Config]())
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		sub := unknownFieldRE.FindStringSubmatch(m)
		if sub == nil {
			msgs = append(msgs, m)
			continue
		}
		line, field, typ := sub[1], sub[2], sub[3]
		msg := fmt.Sprintf("line %s: unknown field %q in %s", line, field, typ)
		if s := suggest.Closest(field, fields[typ]); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		msgs = append(msgs, msg)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// yamlFieldsByType maps each struct type reachable from t to its YAML field names.
func yamlFieldsByType(t reflect.Type) map[string][]string {
	out := map[string][]string{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || out[t.Name()] != nil {
			return
		}
		names := []string{}
		out[t.Name()] = names
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			names = append(names, name)
			walk(f.Type)
		}
		out[t.Name()] = names
	}
	walk(t)
	return out
}
