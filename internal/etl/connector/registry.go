package connector

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Role is what a connector is used as in a task.
type Role string

// The roles.
const (
	RoleSource Role = "source"
	RoleSink   Role = "sink"
	RoleExec   Role = "sql"
)

// Factory builds the connectors of one kind from their settings. A kind
// leaves nil the roles it cannot play. Factories decode settings strictly
// (see DecodeSettings) and do no I/O.
type Factory struct {
	Source func(env *Env, settings map[string]any) (Source, error) // Nil if the kind cannot be read.
	Sink   func(env *Env, settings map[string]any) (Sink, error)   // Nil if the kind cannot be written.
	Execer func(env *Env, settings map[string]any) (Execer, error) // Nil if the kind runs no SQL.
}

// Options configure a Registry.
type Options struct {
	// BaseDir is the directory relative paths in settings resolve against,
	// usually the directory of the pipeline files. Empty means the process's
	// working directory.
	BaseDir string
	// HTTPClient sends the requests of http sources. Nil means a client of
	// its own; per-request timeouts come from each source's settings.
	HTTPClient *http.Client
	// Getenv looks up environment variables named in settings, such as a
	// postgres url_env. Nil means os.Getenv.
	Getenv func(string) string
	// Now returns the current time, used to turn an HTTP Retry-After date
	// into a wait. Nil means time.Now.
	Now func() time.Time
}

// Env is what factories receive from their registry: path resolution and
// shared clients.
type Env struct {
	baseDir string
	client  *http.Client
	getenv  func(string) string
	now     func() time.Time
	locks   *pathLocks
}

// Path resolves p against the registry's base directory, unless it is
// absolute.
func (e *Env) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.baseDir, p)
}

// HTTPClient returns the client for HTTP requests.
func (e *Env) HTTPClient() *http.Client { return e.client }

// Getenv returns the value of the environment variable key.
func (e *Env) Getenv(key string) string { return e.getenv(key) }

// Now returns the current time.
func (e *Env) Now() time.Time { return e.now() }

// Registry maps connector kinds to factories. It is safe for concurrent use.
type Registry struct {
	env *Env

	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns a registry holding the built-in connectors: csv, jsonl,
// sqlite, postgres, http and generate.
func NewRegistry(opts Options) *Registry {
	env := &Env{
		baseDir: opts.BaseDir,
		client:  opts.HTTPClient,
		getenv:  opts.Getenv,
		now:     opts.Now,
		locks:   &pathLocks{held: make(map[string]chan struct{})},
	}
	if env.client == nil {
		env.client = &http.Client{}
	}
	if env.getenv == nil {
		env.getenv = os.Getenv
	}
	if env.now == nil {
		env.now = time.Now
	}
	r := &Registry{env: env, factories: map[string]Factory{
		"csv":      {Source: newCSVSource, Sink: newCSVSink},
		"jsonl":    {Source: newJSONLSource, Sink: newJSONLSink},
		"sqlite":   {Source: newSQLiteSource, Sink: newSQLiteSink, Execer: newSQLiteExecer},
		"postgres": {Source: newPostgresSource, Sink: newPostgresSink, Execer: newPostgresExecer},
		"http":     {Source: newHTTPSource},
		"generate": {Source: newGenerateSource},
	}}
	return r
}

// Register adds a connector kind, such as a fault-injecting wrapper. Kinds
// are lowercase names; registering a kind twice is an error.
func (r *Registry) Register(kind string, f Factory) error {
	if kind == "" || strings.ToLower(kind) != kind {
		return fmt.Errorf("register connector %q: kind must be a non-empty lowercase name", kind)
	}
	if f.Source == nil && f.Sink == nil && f.Execer == nil {
		return fmt.Errorf("register connector %q: factory has no roles", kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.factories[kind]; ok {
		return fmt.Errorf("register connector %q: already registered", kind)
	}
	r.factories[kind] = f
	return nil
}

// Known reports whether kind is registered.
func (r *Registry) Known(kind string) bool {
	_, ok := r.factory(kind)
	return ok
}

// Supports reports whether kind is registered and can play role.
func (r *Registry) Supports(kind string, role Role) bool {
	f, ok := r.factory(kind)
	switch {
	case !ok:
		return false
	case role == RoleSource:
		return f.Source != nil
	case role == RoleSink:
		return f.Sink != nil
	case role == RoleExec:
		return f.Execer != nil
	}
	return false
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	kinds := make([]string, 0, len(r.factories))
	for k := range r.factories {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// NewSource builds a source of kind from settings. Errors have class
// ClassConfig and name the connector and the offending key.
func (r *Registry) NewSource(kind string, settings map[string]any) (Source, error) {
	f, err := r.role(kind, RoleSource)
	if err != nil {
		return nil, err
	}
	src, err := f.Source(r.env, settings)
	if err != nil {
		return nil, orClass(ClassConfig, fmt.Errorf("%s source: %w", kind, err))
	}
	return src, nil
}

// NewSink builds a sink of kind from settings. Errors have class
// ClassConfig and name the connector and the offending key.
func (r *Registry) NewSink(kind string, settings map[string]any) (Sink, error) {
	f, err := r.role(kind, RoleSink)
	if err != nil {
		return nil, err
	}
	sink, err := f.Sink(r.env, settings)
	if err != nil {
		return nil, orClass(ClassConfig, fmt.Errorf("%s sink: %w", kind, err))
	}
	return sink, nil
}

// NewExecer builds an Execer for the database of kind from settings.
// Errors have class ClassConfig and name the connector and the offending key.
func (r *Registry) NewExecer(kind string, settings map[string]any) (Execer, error) {
	f, err := r.role(kind, RoleExec)
	if err != nil {
		return nil, err
	}
	ex, err := f.Execer(r.env, settings)
	if err != nil {
		return nil, orClass(ClassConfig, fmt.Errorf("%s sql: %w", kind, err))
	}
	return ex, nil
}

func (r *Registry) factory(kind string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.factories[kind]
	return f, ok
}

func (r *Registry) role(kind string, role Role) (Factory, error) {
	f, ok := r.factory(kind)
	if !ok {
		return Factory{}, Errorf(ClassConfig, "unknown connector %q (known: %s)", kind, strings.Join(r.Kinds(), ", "))
	}
	if !r.Supports(kind, role) {
		if role == RoleExec {
			return Factory{}, Errorf(ClassConfig, "connector %q cannot run sql statements", kind)
		}
		return Factory{}, Errorf(ClassConfig, "connector %q cannot be a %s", kind, role)
	}
	return f, nil
}

// pathLocks serializes the writers of each file path within the process, so
// two loads into one file do not overwrite each other's rename.
type pathLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // Closed when the holder unlocks.
}

// lock waits until path is free or ctx ends, and returns the unlock function.
func (l *pathLocks) lock(ctx context.Context, path string) (func(), error) {
	for {
		l.mu.Lock()
		ch, busy := l.held[path]
		if !busy {
			ch = make(chan struct{})
			l.held[path] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.held, path)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
