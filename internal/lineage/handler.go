package lineage

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Sink receives the events the Handler accepts.
type Sink interface {
	// Record stores one event. Senders retry when it fails, so recording an
	// event twice must have the effect of recording it once. An error
	// matching ErrInvalidEvent rejects the event as the sender's fault and
	// is answered with 400; any other error is answered with 500.
	Record(ctx context.Context, ev RunEvent) error
}

// Options configure a Handler.
type Options struct {
	// MaxBodyBytes limits the request body, both as sent and after gzip
	// decompression. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives Sink failures and, at debug level, rejected
	// payloads. Nil discards.
	Logger *slog.Logger
	// Registerer receives the handler's metrics. Nil registers nothing.
	Registerer prometheus.Registerer
}

// Handler is the OpenLineage HTTP endpoint, POST /api/v1/lineage, as
// Marquez serves it and the OpenLineage HTTP transport calls it. The body
// is one RunEvent or a JSON array of them, optionally gzipped; the whole
// body is validated (see Decode) before any event is handed to the Sink, in
// order.
//
// It answers 201 Created for one event and 200 OK for an array, with
// {"accepted": n}; 400 for an invalid payload or an event the Sink rejects,
// 405 for a method other than POST, 413 for a body over the limit, 415 for
// a content type other than JSON or an encoding other than gzip, and 500
// when the Sink fails. Errors are JSON too: {"error": "...", "path":
// "run.runId", "accepted": n}, where path names the offending field, if
// any, and accepted counts the events recorded before the failure.
// Every event, and every payload rejected as a whole, is counted in
// vigil_lineage_events_total; requests with another method are not. It is
// safe for concurrent use if the Sink is.
type Handler struct {
	sink    Sink
	maxBody int64
	logger  *slog.Logger
	metrics *handlerMetrics
}

// NewHandler returns a Handler that records to sink, which must not be nil.
// It panics if its metrics are registered with opts.Registerer already.
func NewHandler(sink Sink, opts Options) *Handler {
	h := &Handler{
		sink:    sink,
		maxBody: opts.MaxBodyBytes,
		logger:  opts.Logger,
		metrics: newHandlerMetrics(opts.Registerer),
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h
}

// response is the JSON body of every answer.
type response struct {
	Accepted int    `json:"accepted"`
	Error    string `json:"error,omitempty"`
	Path     string `json:"path,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, http.StatusMethodNotAllowed, response{Error: "method " + r.Method + " not allowed: use POST"})
		return
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		h.reject(w, err)
		return
	}
	body, err := h.body(w, r)
	if err != nil {
		h.reject(w, err)
		return
	}
	events, isArray, err := decodeBatch(body, h.maxBody)
	if err != nil {
		h.reject(w, err)
		return
	}
	for i, ev := range events {
		if err := h.sink.Record(r.Context(), ev); err != nil {
			h.sinkFailed(w, r, i, ev, isArray, err)
			return
		}
		h.metrics.event(resultAccepted, ev.EventType)
	}
	code := http.StatusCreated
	if isArray {
		code = http.StatusOK
	}
	h.reply(w, code, response{Accepted: len(events)})
}

// body returns the request body, decompressed if it is gzipped, limited to
// h.maxBody bytes as sent.
func (h *Handler) body(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	if r.ContentLength > h.maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, h.maxBody)
	}
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, h.maxBody)
			}
			return nil, fmt.Errorf("read gzip header: %w", err)
		}
		return zr, nil
	default:
		return nil, &unsupportedError{fmt.Sprintf("unsupported content encoding %s: want gzip or none", quote(enc))}
	}
}

// checkContentType accepts application/json and the application/*+json
// types, with any parameters.
func checkContentType(ct string) error {
	if ct == "" {
		return &unsupportedError{"missing Content-Type: want application/json"}
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &unsupportedError{fmt.Sprintf("unsupported content type %s: want application/json", quote(ct))}
}

// unsupportedError is a content type or encoding the handler does not take.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }

// classify returns the status code and result label for an error taking a
// payload in. Errors reading it, such as corrupt gzip data, are the
// sender's too.
func classify(err error) (code int, result string) {
	if _, ok := errors.AsType[*unsupportedError](err); ok {
		return http.StatusUnsupportedMediaType, resultUnsupported
	}
	if errors.Is(err, ErrTooLarge) {
		return http.StatusRequestEntityTooLarge, resultTooLarge
	}
	return http.StatusBadRequest, resultInvalid
}

// reject answers a payload that was not taken in; it counts as one event
// of unknown type.
func (h *Handler) reject(w http.ResponseWriter, err error) {
	code, result := classify(err)
	h.metrics.payload(result)
	h.logger.Debug("Rejected OpenLineage payload", "status", code, "err", err)
	resp := response{Error: err.Error()}
	if ve, ok := errors.AsType[*ValidationError](err); ok {
		resp.Path = ve.Path
	}
	h.reply(w, code, resp)
}

// sinkFailed answers when the Sink fails to record events[i].
func (h *Handler) sinkFailed(w http.ResponseWriter, r *http.Request, i int, ev RunEvent, isArray bool, err error) {
	resp := response{Accepted: i, Error: "record event: " + err.Error()}
	if isArray {
		resp.Error = "record event " + indexPath("", i) + ": " + err.Error()
		resp.Path = indexPath("", i)
	}
	if errors.Is(err, ErrInvalidEvent) {
		h.metrics.event(resultInvalid, ev.EventType)
		h.logger.Debug("Sink rejected OpenLineage event", "job", ev.Job.Name, "run_id", ev.Run.RunID, "err", err)
		h.reply(w, http.StatusBadRequest, resp)
		return
	}
	h.metrics.event(resultFailed, ev.EventType)
	level := slog.LevelError
	if r.Context().Err() != nil {
		// The sender went away; nothing is wrong on Vigil's side.
		level = slog.LevelDebug
	}
	h.logger.Log(r.Context(), level, "Recording OpenLineage event failed", "job", ev.Job.Name, "run_id", ev.Run.RunID, "err", err)
	h.reply(w, http.StatusInternalServerError, resp)
}

// reply writes a JSON answer.
func (h *Handler) reply(w http.ResponseWriter, code int, resp response) {
	body, err := json.Marshal(resp)
	if err != nil {
		// A struct of an int and strings always encodes.
		h.logger.Error("Encoding OpenLineage answer failed", "err", err)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// The values of the result label of vigil_lineage_events_total.
const (
	resultAccepted    = "accepted"
	resultInvalid     = "invalid"
	resultTooLarge    = "too_large"
	resultUnsupported = "unsupported"
	resultFailed      = "failed"
)

// The values of the event_type label for events without a type.
const (
	// eventTypeNone is for events that left eventType out.
	eventTypeNone = "none"
	// eventTypeUnknown is for payloads rejected before their events were
	// known.
	eventTypeUnknown = "unknown"
)

// eventsHelp is the help text of vigil_lineage_events_total.
const eventsHelp = "OpenLineage events received on /api/v1/lineage, by result (accepted, invalid, too_large, unsupported, failed) and eventType. " +
	"A payload rejected as a whole counts once with event_type=\"unknown\"; an event without eventType has event_type=\"none\"."

type handlerMetrics struct {
	events *prometheus.CounterVec
}

func newHandlerMetrics(reg prometheus.Registerer) *handlerMetrics {
	m := &handlerMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_lineage_events_total",
			Help: eventsHelp,
		}, []string{"result", "event_type"}),
	}
	if reg != nil {
		reg.MustRegister(m.events)
	}
	return m
}

// event counts one decoded event.
func (m *handlerMetrics) event(result string, t EventType) {
	label := string(t)
	if t == "" {
		label = eventTypeNone
	}
	m.events.WithLabelValues(result, label).Inc()
}

// payload counts a payload rejected before its events were known.
func (m *handlerMetrics) payload(result string) {
	m.events.WithLabelValues(result, eventTypeUnknown).Inc()
}
