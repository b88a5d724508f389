package otlp

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// handlerMetrics are the Handler's own metrics.
type handlerMetrics struct {
	requests          *prometheus.CounterVec
	points            *prometheus.CounterVec
	rejected          *prometheus.CounterVec
	samples           prometheus.Counter
	exemplarsRejected prometheus.Counter
}

// The values of the result label of vigil_otlp_points_total.
const (
	resultAccepted = "accepted"
	resultRejected = "rejected"
)

// newHandlerMetrics creates the Handler's metrics and registers them with
// reg, unless reg is nil. It panics if they are registered already.
func newHandlerMetrics(reg prometheus.Registerer) *handlerMetrics {
	f := promauto.With(reg)
	m := &handlerMetrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_otlp_requests_total",
			Help: "OTLP/HTTP metrics export requests, by HTTP status code of the response.",
		}, []string{"code"}),
		points: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_otlp_points_total",
			Help: "OTLP metric data points received in committed requests, by whether they were stored.",
		}, []string{"result"}),
		rejected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_otlp_rejected_points_total",
			Help: "OTLP metric data points rejected in committed requests, by reason.",
		}, []string{"reason"}),
		samples: f.NewCounter(prometheus.CounterOpts{
			Name: "vigil_otlp_samples_appended_total",
			Help: "Prometheus samples appended from OTLP metrics in committed requests, target_info included.",
		}),
		exemplarsRejected: f.NewCounter(prometheus.CounterOpts{
			Name: "vigil_otlp_exemplars_rejected_total",
			Help: "OTLP exemplars the storage refused while storing their samples.",
		}),
	}
	for _, code := range []int{
		http.StatusOK, http.StatusBadRequest, http.StatusMethodNotAllowed,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusInternalServerError,
	} {
		m.requests.WithLabelValues(strconv.Itoa(code))
	}
	m.points.WithLabelValues(resultAccepted)
	m.points.WithLabelValues(resultRejected)
	for _, r := range Reasons() {
		m.rejected.WithLabelValues(string(r))
	}
	return m
}

// observe counts the outcome of a committed translation.
func (m *handlerMetrics) observe(res Result) {
	m.points.WithLabelValues(resultAccepted).Add(float64(res.Accepted))
	m.points.WithLabelValues(resultRejected).Add(float64(res.Rejected))
	for r, n := range res.Rejections {
		m.rejected.WithLabelValues(string(r)).Add(float64(n))
	}
	m.samples.Add(float64(res.Samples))
	m.exemplarsRejected.Add(float64(res.ExemplarsRejected))
}
