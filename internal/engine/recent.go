package engine

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Recent keeps the latest Signals in a ring, for the API until the
// incident manager consumes them.
type Recent struct {
	mu   sync.Mutex
	buf  []Signal
	next int
	full bool
}

// NewRecent keeps the last n signals.
func NewRecent(n int) *Recent { return &Recent{buf: make([]Signal, n)} }

// Signal implements SignalSink.
func (r *Recent) Signal(s Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

// List returns the kept signals, newest first.
func (r *Recent) List() []Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	out := make([]Signal, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// ServeHTTP answers GET /api/v1/signals with the kept signals as JSON.
func (r *Recent) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(r.List())
}
