package series

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// Remote-write content types, as in the 1.0 and 2.0 specifications.
const (
	protoV1 = "prometheus.WriteRequest"
	protoV2 = "io.prometheus.write.v2.Request"
)

// maxAhead is how far in the future a sample may be, as in Prometheus.
const maxAhead = 10 * time.Minute

// maxReportedProblems caps how many rejected series a 400 answer names.
const maxReportedProblems = 5

// WriteOptions configure the remote-write receiver.
type WriteOptions struct {
	MaxBodyBytes    int64
	MaxDecodedBytes int64
	// Now is the clock used to reject samples too far in the future.
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

type writeHandler struct {
	s        *Store
	opts     WriteOptions
	decoders sync.Pool
	bufs     sync.Pool
	m        *ingestMetrics
}

type ingestMetrics struct {
	requests *prometheus.CounterVec
	samples  *prometheus.CounterVec
}

func newIngestMetrics(reg prometheus.Registerer) *ingestMetrics {
	m := &ingestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_remote_write_requests_total",
			Help: "Remote-write requests by protocol version and HTTP status code.",
		}, []string{"version", "code"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_ingest_samples_total",
			Help: "Samples received, by receiver and result (accepted, or the reason for rejection).",
		}, []string{"receiver", "result"}),
	}
	reg.MustRegister(m.requests, m.samples)
	return m
}

// WriteHandler returns the Prometheus remote-write receiver (protocol 1.0
// and 2.0) for POST /api/v1/write.
//
// Unlike Prometheus's receiver, a request with some bad samples keeps the
// good ones (as the 2.0 specification's partial write does, for both
// versions) and answers 400 naming the problems, so one out-of-order
// sample never throws away a whole batch of valid ones.
func (s *Store) WriteHandler(opts WriteOptions) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &writeHandler{s: s, opts: opts, m: newIngestMetrics(opts.Registerer)}
}

// writeResult counts what one request did.
type writeResult struct {
	samples, histograms, exemplars int
	rejected                       map[string]int // by reason
	problems                       []string
}

func (r *writeResult) reject(reason string, n int, problem string) {
	if r.rejected == nil {
		r.rejected = map[string]int{}
	}
	r.rejected[reason] += n
	if len(r.problems) < maxReportedProblems {
		r.problems = append(r.problems, problem)
	}
}

func (h *writeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	version := "unknown"
	fail := func(code int, format string, args ...any) {
		h.m.requests.WithLabelValues(version, strconv.Itoa(code)).Inc()
		http.Error(w, fmt.Sprintf(format, args...), code)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "remote write takes POST, not %s", r.Method)
		return
	}
	proto, err := remoteWriteProto(r.Header.Get("Content-Type"))
	if err != nil {
		fail(http.StatusUnsupportedMediaType, "%v", err)
		return
	}
	version = map[string]string{protoV1: "1", protoV2: "2"}[proto]
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "snappy") {
		fail(http.StatusUnsupportedMediaType, "unsupported Content-Encoding %q; remote write uses snappy", enc)
		return
	}

	compressed, code, err := h.readBody(r)
	if err != nil {
		fail(code, "%v", err)
		return
	}
	defer h.putBuf(compressed)
	n, err := snappy.DecodedLen(*compressed)
	if err != nil {
		fail(http.StatusBadRequest, "body is not snappy-compressed: %v", err)
		return
	}
	if int64(n) > h.opts.MaxDecodedBytes {
		fail(http.StatusRequestEntityTooLarge, "decompressed body would be %d bytes, over the limit of %d", n, h.opts.MaxDecodedBytes)
		return
	}
	raw := h.getBuf(n)
	defer h.putBuf(raw)
	decoded, err := snappy.Decode((*raw)[:cap(*raw)], *compressed)
	if err != nil {
		fail(http.StatusBadRequest, "body is not valid snappy: %v", err)
		return
	}

	dec, _ := h.decoders.Get().(*remotewrite.Decoder)
	if dec == nil {
		dec = &remotewrite.Decoder{}
	}
	defer h.decoders.Put(dec)
	var req *remotewrite.Request
	if proto == protoV1 {
		req, err = dec.DecodeV1(decoded)
	} else {
		req, err = dec.DecodeV2(decoded)
	}
	if err != nil {
		fail(http.StatusBadRequest, "decode remote-write %s request: %v", version, err)
		return
	}

	res, err := h.write(r, req, proto)
	for reason, n := range res.rejected {
		h.m.samples.WithLabelValues("remote_write", reason).Add(float64(n))
	}
	if err != nil {
		h.opts.Logger.Error("remote write failed; nothing of the request was kept", "err", err)
		fail(http.StatusInternalServerError, "store samples: %v", err)
		return
	}
	h.m.samples.WithLabelValues("remote_write", "accepted").Add(float64(res.samples + res.histograms))
	if proto == protoV2 {
		w.Header().Set("X-Prometheus-Remote-Write-Samples-Written", strconv.Itoa(res.samples))
		w.Header().Set("X-Prometheus-Remote-Write-Histograms-Written", strconv.Itoa(res.histograms))
		w.Header().Set("X-Prometheus-Remote-Write-Exemplars-Written", strconv.Itoa(res.exemplars))
	}
	if len(res.rejected) > 0 {
		total := 0
		for _, n := range res.rejected {
			total += n
		}
		fail(http.StatusBadRequest, "%d samples rejected, %d accepted: %s", total, res.samples+res.histograms, strings.Join(res.problems, "; "))
		return
	}
	h.m.requests.WithLabelValues(version, "204").Inc()
	w.WriteHeader(http.StatusNoContent)
}

// remoteWriteProto picks the protocol from the Content-Type. A bare
// application/x-protobuf is 1.0, as senders older than 2.0 send it.
func remoteWriteProto(contentType string) (string, error) {
	if contentType == "" {
		return protoV1, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("bad Content-Type %q: %v", contentType, err)
	}
	if mt != "application/x-protobuf" {
		return "", fmt.Errorf("unsupported Content-Type %q; remote write takes application/x-protobuf", contentType)
	}
	switch p := params["proto"]; p {
	case "", protoV1:
		return protoV1, nil
	case protoV2:
		return protoV2, nil
	default:
		return "", fmt.Errorf("unsupported remote-write message %q; accepted: %s, %s", p, protoV1, protoV2)
	}
}

func (h *writeHandler) readBody(r *http.Request) (*[]byte, int, error) {
	if r.ContentLength > h.opts.MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes is over the limit of %d", r.ContentLength, h.opts.MaxBodyBytes)
	}
	buf := h.getBuf(int(max(r.ContentLength, 512)))
	b := bytesWriter{buf: (*buf)[:0]}
	_, err := io.Copy(&b, io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
	*buf = b.buf
	if err != nil {
		h.putBuf(buf)
		return nil, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	if int64(len(*buf)) > h.opts.MaxBodyBytes {
		h.putBuf(buf)
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", h.opts.MaxBodyBytes)
	}
	return buf, 0, nil
}

type bytesWriter struct{ buf []byte }

func (b *bytesWriter) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (h *writeHandler) getBuf(n int) *[]byte {
	if b, ok := h.bufs.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, n)
	return &b
}

func (h *writeHandler) putBuf(b *[]byte) { h.bufs.Put(b) }

// write appends every series of the request. Bad series and samples are
// rejected one by one; only a storage failure aborts the request, and then
// nothing of it is kept so that the sender's retry cannot duplicate data.
func (h *writeHandler) write(r *http.Request, req *remotewrite.Request, proto string) (res writeResult, err error) {
	app := h.s.Appender(r.Context())
	defer func() {
		if err != nil {
			_ = app.Rollback()
			return
		}
		err = app.Commit()
	}()
	maxT := h.opts.Now().Add(maxAhead).UnixMilli()
	b := labels.NewScratchBuilder(16)
	for i := range req.Timeseries {
		ts := &req.Timeseries[i]
		b.Reset()
		for _, l := range ts.Labels {
			b.Add(l.Name, l.Value)
		}
		b.Sort()
		ls := b.Labels()
		n := len(ts.Samples) + len(ts.Histograms)
		if n == 0 {
			if proto == protoV2 {
				res.reject("empty_series", 0, fmt.Sprintf("series %s has no samples", abbreviate(ls)))
			}
			continue
		}
		var ref storage.SeriesRef
		for _, s := range ts.Samples {
			if s.Timestamp > maxT {
				res.reject("too_far_in_future", 1, fmt.Sprintf("sample at %d for %s is more than %s in the future", s.Timestamp, abbreviate(ls), maxAhead))
				continue
			}
			newRef, err := app.Append(ref, ls, s.StartTimestamp, s.Timestamp, s.Value, nil, nil, storage.AppendV2Options{})
			if reason := rejectReason(err); reason != "" {
				res.reject(reason, 1, fmt.Sprintf("%v for series %s at %d", err, abbreviate(ls), s.Timestamp))
				continue
			} else if err != nil {
				return res, err
			}
			ref = newRef
			res.samples++
		}
		for _, hist := range ts.Histograms {
			newRef, err := h.appendHistogram(app, ref, ls, hist, maxT)
			if reason := rejectReason(err); reason != "" {
				res.reject(reason, 1, fmt.Sprintf("histogram for series %s at %d: %v", abbreviate(ls), hist.Timestamp, err))
				continue
			} else if err != nil {
				return res, err
			}
			ref = newRef
			res.histograms++
		}
	}
	return res, nil
}

func (h *writeHandler) appendHistogram(app storage.AppenderV2, ref storage.SeriesRef, ls labels.Labels, hist remotewrite.Histogram, maxT int64) (storage.SeriesRef, error) {
	if hist.Timestamp > maxT {
		return ref, fmt.Errorf("%w: more than %s in the future", storage.ErrOutOfBounds, maxAhead)
	}
	ih, fh, err := hist.Decode()
	if err != nil {
		return ref, fmt.Errorf("%w: %v", errBadHistogram, err)
	}
	return app.Append(ref, ls, hist.StartTimestamp, hist.Timestamp, 0, ih, fh, storage.AppendV2Options{})
}

var errBadHistogram = errors.New("malformed native histogram")

// rejectReason classifies an append error that concerns only the sample
// at hand, as opposed to a storage failure. It returns "" for nil and for
// errors that must abort the request.
func rejectReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, storage.ErrOutOfOrderSample):
		return "out_of_order"
	case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
		return "duplicate_timestamp"
	case errors.Is(err, storage.ErrTooOldSample), errors.Is(err, storage.ErrOutOfBounds):
		return "out_of_bounds"
	case errors.Is(err, ErrInvalidSeries):
		return "invalid_series"
	case errors.Is(err, errBadHistogram), isHistogramError(err):
		return "invalid_histogram"
	}
	return ""
}

func isHistogramError(err error) bool {
	var e histogram.Error
	return errors.As(err, &e)
}
