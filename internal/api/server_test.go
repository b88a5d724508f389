package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-aiops/vigil/internal/config"
)

func newServer(t *testing.T, tokens []config.Token, routes ...Route) *Server {
	t.Helper()
	return New(Options{MaxRequestBytes: 16, MaxConcurrentIngest: 1, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()}, tokens, routes)
}

func TestIngestConcurrencyBound(t *testing.T) {
	inside := make(chan struct{})
	release := make(chan struct{})
	s := newServer(t, nil, Route{Pattern: "/in", Name: "in", Ingest: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside <- struct{}{}
		<-release
	})})
	go func() {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/in", nil))
	}()
	<-inside
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/in", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("second concurrent ingest request: %d, want 503", rec.Code)
	}
	close(release)
	// With the slot free again, a request gets through.
	go func() { <-inside }()
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/in", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("after release: %d", rec.Code)
	}
}

func TestBodyLimitAppliesToNonIngestRoutes(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	})
	s := newServer(t, nil, Route{Pattern: "/q", Name: "q", Handler: echo}, Route{Pattern: "/in", Name: "in", Ingest: true, Handler: echo})
	big := strings.Repeat("x", 100)
	for path, want := range map[string]int{"/q": 413, "/in": 200} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(big)))
		if rec.Code != want {
			t.Errorf("%s with a 100-byte body: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestTokensAndRoles(t *testing.T) {
	var caller string
	ok := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { caller = Caller(r.Context()) })
	s := newServer(t, []config.Token{{Name: "v", Token: "viewer-0123456789", Role: config.RoleViewer}},
		Route{Pattern: "/read", Name: "read", Role: config.RoleViewer, Handler: ok},
		Route{Pattern: "/write", Name: "write", Role: config.RoleOperator, Handler: ok},
		Route{Pattern: "/open", Name: "open", Handler: ok})
	f := func(path, auth string, want int) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("%s with %q: %d, want %d", path, auth, rec.Code, want)
		}
		if want == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("401 without a Bearer challenge")
		}
	}
	f("/open", "", 200)
	f("/read", "", 401)
	f("/read", "Basic dXNlcjpwYXNz", 401)
	f("/read", "Bearer wrong", 401)
	f("/read", "Bearer viewer-0123456789", 200)
	if caller != "v" {
		t.Fatalf("caller = %q, want the token's name", caller)
	}
	f("/read", "bearer viewer-0123456789", 200)
	f("/write", "Bearer viewer-0123456789", 403)
	// Removing every token opens the API again (loopback default).
	s.SetTokens(nil)
	f("/write", "", 200)
	if caller != Anonymous {
		t.Fatalf("caller without tokens = %q", caller)
	}
}
