// Package api is Vigil's HTTP front door: routing, authentication by
// bearer token and role, request body limits and per-route metrics. The
// handlers themselves live with the components that own the data; this
// package only decides who may reach them and how much they may send.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-aiops/vigil/internal/config"
)

// Route binds a handler to a pattern (net/http ServeMux syntax) and the
// role a caller needs. An empty Role makes the route public, which only
// health probes should be.
type Route struct {
	Pattern string
	Name    string // label for metrics, e.g. "query"
	Role    config.Role
	Handler http.Handler
	// Ingest marks receivers: they enforce their own, larger body limit
	// (every other route gets MaxRequestBytes) and share a bound on
	// concurrent requests, so that the memory held by decoding is bounded
	// however many senders connect at once.
	Ingest bool
}

// Options configure a Server.
type Options struct {
	MaxRequestBytes int64
	// MaxConcurrentIngest bounds ingestion requests being processed at
	// once; further ones wait for a slot until their context ends.
	MaxConcurrentIngest int
	Logger              *slog.Logger
	Registerer          prometheus.Registerer
}

// Server routes requests after checking their token.
type Server struct {
	mux    *http.ServeMux
	opts   Options
	tokens atomic.Pointer[[]tokenEntry]

	authFailures *prometheus.CounterVec
}

type tokenEntry struct {
	name string
	hash [sha256.Size]byte
	role config.Role
}

// New builds a server for routes with the given tokens.
func New(opts Options, tokens []config.Token, routes []Route) *Server {
	s := &Server{
		mux:  http.NewServeMux(),
		opts: opts,
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_http_auth_failures_total",
			Help: "Requests refused for a missing or unknown token (unauthenticated) or too small a role (forbidden).",
		}, []string{"reason"}),
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_http_requests_total",
		Help: "HTTP requests by route and status code.",
	}, []string{"handler", "code", "method"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:                        "vigil_http_request_duration_seconds",
		Help:                        "HTTP request latency by route.",
		Buckets:                     prometheus.DefBuckets,
		NativeHistogramBucketFactor: 1.1,
	}, []string{"handler"})
	opts.Registerer.MustRegister(s.authFailures, requests, duration)
	s.SetTokens(tokens)
	ingestSlots := make(chan struct{}, max(opts.MaxConcurrentIngest, 1))
	for _, r := range routes {
		h := r.Handler
		if r.Ingest {
			h = limitConcurrency(h, ingestSlots)
		} else {
			h = limitBody(h, opts.MaxRequestBytes)
		}
		if r.Role != "" {
			h = s.authorize(r.Role, h)
		}
		name := prometheus.Labels{"handler": r.Name}
		h = promhttp.InstrumentHandlerCounter(requests.MustCurryWith(name),
			promhttp.InstrumentHandlerDuration(duration.MustCurryWith(name), h))
		s.mux.Handle(r.Pattern, h)
	}
	return s
}

// SetTokens replaces the accepted tokens; a configuration reload calls it.
func (s *Server) SetTokens(tokens []config.Token) {
	entries := make([]tokenEntry, 0, len(tokens))
	for _, t := range tokens {
		entries = append(entries, tokenEntry{name: t.Name, hash: sha256.Sum256([]byte(t.Token)), role: t.Role})
	}
	s.tokens.Store(&entries)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// authorize lets a request through when no token is configured at all, or
// when it carries a token whose role suffices.
func (s *Server) authorize(need config.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens := *s.tokens.Load()
		if len(tokens) == 0 {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, Anonymous)))
			return
		}
		tok, ok := bearer(r)
		if !ok {
			s.authFailures.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			http.Error(w, "authentication required: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		// Compare hashes in constant time against every token, so neither
		// the match nor its position leaks through timing.
		sum := sha256.Sum256([]byte(tok))
		var found *tokenEntry
		for i := range tokens {
			if subtle.ConstantTimeCompare(sum[:], tokens[i].hash[:]) == 1 {
				found = &tokens[i]
			}
		}
		if found == nil {
			s.authFailures.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil", error="invalid_token"`)
			http.Error(w, "unknown token", http.StatusUnauthorized)
			return
		}
		if !found.role.Allows(need) {
			s.authFailures.WithLabelValues("forbidden").Inc()
			http.Error(w, "token "+found.name+" has role "+string(found.role)+"; this needs "+string(need), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, found.name)))
	})
}

type callerKey struct{}

// Anonymous is the caller of a request when no token is configured.
const Anonymous = "anonymous"

// Caller returns the name of the token that authorised the request, for
// audit records, or Anonymous.
func Caller(ctx context.Context) string {
	if name, ok := ctx.Value(callerKey{}).(string); ok {
		return name
	}
	return Anonymous
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// limitBody refuses bodies over n bytes with 413, before the handler
// reads them.
func limitBody(next http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// limitConcurrency lets at most cap(slots) requests through at once. A
// request waits for a slot without reading its body; if its client gives
// up first it is answered 503, which senders retry.
func limitConcurrency(next http.Handler, slots chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			http.Error(w, "too many concurrent ingestion requests", http.StatusServiceUnavailable)
		}
	})
}
