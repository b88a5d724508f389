package series

import (
	"net/http"

	"github.com/vigil-aiops/vigil/internal/series/otlp"
)

// OTLPHandler returns the OTLP/HTTP metrics receiver (POST /v1/metrics).
// It writes through the store's appender, so its samples are validated and
// fanned out like every other receiver's.
func (s *Store) OTLPHandler(opts otlp.Options) http.Handler {
	return otlp.NewHandler(s, opts)
}
