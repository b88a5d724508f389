package etl

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Endpoints returns the connector endpoints a task touches, the keys of
// the circuits that hold it: "<connector>:<where>", where <where> is the
// host (and port) of a url setting, the host and database of a dsn or url
// of a database, or the cleaned path of a file or SQLite database, such as
// "http:api.example.org", "postgres:db.internal:5432/shop" or
// "sqlite:warehouse.db". Connectors that reach nothing outside, such as
// generate, have none. The result is sorted and has no repeats.
func Endpoints(t spec.Task) []string {
	var out []string
	add := func(e *spec.Endpoint) {
		if e == nil {
			return
		}
		if where := endpointLocation(e.Settings); where != "" {
			out = append(out, e.Connector+":"+where)
		}
	}
	add(t.Source)
	add(t.Sink)
	add(t.DeadLetter)
	if t.SQL != nil {
		add(&t.SQL.Endpoint)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// endpointLocation returns where a connector's settings point to.
func endpointLocation(settings map[string]any) string {
	str := func(key string) string {
		s, _ := settings[key].(string)
		return s
	}
	for _, key := range []string{"url", "dsn"} {
		if raw := str(key); raw != "" {
			return dsnLocation(raw)
		}
	}
	if p := str("path"); p != "" {
		return filepath.Clean(p)
	}
	return ""
}

// dsnLocation returns the host and, for a database, the database of a URL
// or a key=value connection string, never its credentials.
func dsnLocation(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		switch u.Scheme {
		case "postgres", "postgresql":
			return u.Host + u.Path
		}
		return u.Host
	}
	var host, port, db string
	for _, f := range strings.Fields(raw) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "host":
			host = v
		case "port":
			port = v
		case "dbname":
			db = v
		}
	}
	if host == "" {
		return ""
	}
	if port != "" {
		host += ":" + port
	}
	if db != "" {
		host += "/" + db
	}
	return host
}
