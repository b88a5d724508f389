package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/storage"
	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const (
	// DefaultMaxBodyBytes is the body limit when Options.MaxBodyBytes is
	// zero; the OpenTelemetry Collector's OTLP receiver has the same default.
	DefaultMaxBodyBytes = 20 << 20
	// maxFutureSkew is how far ahead of the server's clock a sample may be,
	// as Prometheus allows for remote write and OTLP.
	maxFutureSkew = 10 * time.Minute
	// labelBytesPerBodyByte and minLabelBytes set TranslateOptions.MaxLabelBytes
	// for a request: legitimate OTLP expands about tenfold to twentyfold
	// into label data (attributes repeat on every bucket of a histogram), so
	// 64 times the body, and at least 64 MiB, leaves room while bounding
	// the work of a hostile request.
	labelBytesPerBodyByte = 64
	minLabelBytes         = 64 << 20
	// maxPooledBuffer is the largest body buffer kept for reuse.
	maxPooledBuffer = 4 << 20
)

// The gRPC status codes carried in the Status body of error responses, as
// OTLP/HTTP asks.
const (
	grpcInvalidArgument   int32 = 3
	grpcResourceExhausted int32 = 8
	grpcInternal          int32 = 13
)

var (
	// errBodyTooLarge marks a body over the limit, compressed or not.
	errBodyTooLarge = errors.New("request body too large")
	// errStorage is what clients learn of a storage failure; the details,
	// which may name files and hosts, go to the log.
	errStorage = errors.New("storing the metrics failed; nothing of the request was kept")
)

// Options configure a Handler.
type Options struct {
	// MaxBodyBytes limits the request body, both as sent and after gzip
	// decompression. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives failures and, at debug level, rejected data points.
	// Nil discards.
	Logger *slog.Logger
	// Registerer receives the handler's metrics. Nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock against which far-future samples are rejected. Nil
	// means time.Now.
	Now func() time.Time
}

// Handler is the OTLP/HTTP metrics endpoint (POST /v1/metrics). It accepts
// an ExportMetricsServiceRequest as protobuf or JSON, optionally gzipped,
// appends its samples to storage in one transaction, and answers as OTLP
// asks: 200 with an ExportMetricsServiceResponse (a partial success when
// data points were rejected), 400 for an undecodable body, 405 for a method
// other than POST, 413 for a body over the limit, 415 for an unsupported
// content type or encoding, and 500 when storage fails, in which case
// nothing of the request is kept. It is safe for concurrent use.
type Handler struct {
	app     storage.AppendableV2
	maxBody int64
	logger  *slog.Logger
	now     func() time.Time
	metrics *handlerMetrics
	buffers sync.Pool // of *bytes.Buffer
	gzips   sync.Pool // of *gzip.Reader
}

// NewHandler returns a Handler that appends to app. It panics if its
// metrics are registered with opts.Registerer already.
func NewHandler(app storage.AppendableV2, opts Options) *Handler {
	h := &Handler{
		app:     app,
		maxBody: opts.MaxBodyBytes,
		logger:  opts.Logger,
		now:     opts.Now,
		metrics: newHandlerMetrics(opts.Registerer),
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := h.serve(w, r)
	h.metrics.requests.WithLabelValues(strconv.Itoa(code)).Inc()
}

// serve handles one request and returns the status code it answered with.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method "+r.Method+" not allowed, use POST", http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed
	}
	mt, err := MediaType(r.Header.Get("Content-Type"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		return http.StatusUnsupportedMediaType
	}
	gzipped, err := isGzip(r.Header.Get("Content-Encoding"))
	if err != nil {
		return h.fail(w, mt, http.StatusUnsupportedMediaType, err)
	}

	buf := h.buffer()
	defer h.releaseBuffer(buf)
	if err := h.readBody(w, r, gzipped, buf); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return h.fail(w, mt, http.StatusRequestEntityTooLarge, err)
		}
		return h.fail(w, mt, http.StatusBadRequest, err)
	}
	req, err := Decode(buf.Bytes(), mt)
	if err != nil {
		return h.fail(w, mt, http.StatusBadRequest, err)
	}

	app := h.app.AppenderV2(r.Context())
	res, err := Translate(app, req, TranslateOptions{
		MaxTimestamp:  h.now().Add(maxFutureSkew).UnixMilli(),
		MaxLabelBytes: max(minLabelBytes, labelBytesPerBodyByte*int64(buf.Len())),
	})
	if err != nil {
		if rbErr := app.Rollback(); rbErr != nil {
			err = errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		h.logger.Error("Appending OTLP metrics failed", "err", err)
		return h.fail(w, mt, http.StatusInternalServerError, errStorage)
	}
	// A failed Commit rolls back by itself, and the appender must not be
	// used afterwards.
	if err := app.Commit(); err != nil {
		err = fmt.Errorf("commit OTLP metrics: %w", err)
		h.logger.Error("Committing OTLP metrics failed", "err", err)
		return h.fail(w, mt, http.StatusInternalServerError, errStorage)
	}
	h.metrics.observe(res)
	if res.Rejected > 0 {
		h.logger.Debug("Rejected OTLP data points", "rejected", res.Rejected, "accepted", res.Accepted, "problems", res.Message)
	}

	resp := &colmetricspb.ExportMetricsServiceResponse{}
	if res.Rejected > 0 || res.Message != "" {
		resp.PartialSuccess = &colmetricspb.ExportMetricsPartialSuccess{
			RejectedDataPoints: res.Rejected,
			ErrorMessage:       res.Message,
		}
	}
	var body []byte
	if mt == ContentTypeJSON {
		body, err = protojson.Marshal(resp)
	} else {
		body, err = proto.Marshal(resp)
	}
	if err != nil {
		// The samples are stored; only the answer is lost.
		h.logger.Error("Encoding OTLP metrics response failed", "err", err)
		body = nil
	}
	h.write(w, mt, http.StatusOK, body)
	return http.StatusOK
}

// isGzip interprets a Content-Encoding header: gzip, identity or none.
func isGzip(encoding string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return false, nil
	case "gzip":
		return true, nil
	}
	return false, fmt.Errorf("unsupported content encoding %q: want gzip or none", encoding)
}

// readBody reads the request body into buf, decompressing it if gzipped,
// and fails with errBodyTooLarge when it exceeds the limit before or after
// decompression.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, gzipped bool, buf *bytes.Buffer) error {
	if r.ContentLength > h.maxBody {
		return fmt.Errorf("%w: %d bytes, limit %d", errBodyTooLarge, r.ContentLength, h.maxBody)
	}
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	var src io.Reader = body
	if gzipped {
		zr, err := h.gzipReader(body)
		if err != nil {
			return bodyError("read gzip header", err, h.maxBody)
		}
		defer h.gzips.Put(zr)
		src = zr
	} else if r.ContentLength > 0 {
		// ReadFrom needs room to see the end of the body without growing.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(src, h.maxBody+1)); err != nil {
		return bodyError("read body", err, h.maxBody)
	}
	if int64(buf.Len()) > h.maxBody {
		return fmt.Errorf("%w: over %d bytes after decompression", errBodyTooLarge, h.maxBody)
	}
	return nil
}

// bodyError wraps an error reading the body, telling a body over the limit
// from a broken one.
func bodyError(what string, err error, limit int64) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("%w: over %d bytes", errBodyTooLarge, limit)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (h *Handler) gzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := h.gzips.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			h.gzips.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

func (h *Handler) buffer() *bytes.Buffer {
	if b, ok := h.buffers.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (h *Handler) releaseBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	h.buffers.Put(b)
}

// fail answers with an error status and, as OTLP/HTTP asks, a
// google.rpc.Status body in the request's content type. It returns code.
func (h *Handler) fail(w http.ResponseWriter, mt string, code int, err error) int {
	if code < http.StatusInternalServerError {
		h.logger.Debug("Refused OTLP metrics request", "code", code, "err", err)
	}
	grpcCode := grpcInvalidArgument
	switch code {
	case http.StatusRequestEntityTooLarge:
		grpcCode = grpcResourceExhausted
	case http.StatusInternalServerError:
		grpcCode = grpcInternal
	}
	h.write(w, mt, code, encodeStatus(mt, grpcCode, err.Error()))
	return code
}

func (h *Handler) write(w http.ResponseWriter, mt string, code int, body []byte) {
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if _, err := w.Write(body); err != nil {
		h.logger.Debug("Writing OTLP response failed", "err", err)
	}
}

// encodeStatus encodes a google.rpc.Status with a code and a message, in
// protobuf or in JSON. The message is small enough that writing its two
// fields by hand beats depending on the generated type.
func encodeStatus(mt string, code int32, msg string) []byte {
	if mt == ContentTypeJSON {
		b, err := json.Marshal(struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		}{code, msg})
		if err != nil {
			// A struct of an integer and a string always marshals.
			return nil
		}
		return b
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(code))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, msg)
}
