package notify

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// deliveryMetrics are the vigil_notify_* metrics.
type deliveryMetrics struct {
	sent       *prometheus.CounterVec
	failed     *prometheus.CounterVec
	retried    *prometheus.CounterVec
	superseded *prometheus.CounterVec
	duration   *prometheus.HistogramVec
}

// newDeliveryMetrics creates the delivery's metrics and registers them with
// reg, if it is not nil. Metrics that reg already holds, from an earlier
// Delivery in the same process, are reused.
func newDeliveryMetrics(reg prometheus.Registerer) (*deliveryMetrics, error) {
	m := &deliveryMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_notify_sent_total",
			Help: "Notifications a receiver accepted.",
		}, []string{"receiver"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_notify_failed_total",
			Help: "Notifications given up for good, by the reason of their last failure.",
		}, []string{"receiver", "reason"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_notify_retried_total",
			Help: "Failed attempts to send a notification that were scheduled for a retry, by reason.",
		}, []string{"receiver", "reason"}),
		superseded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_notify_superseded_total",
			Help: "Notifications dropped unsent because a newer one about the same incident had been delivered.",
		}, []string{"receiver"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_notify_send_duration_seconds",
			Help:    "Time taken by one attempt to send a notification.",
			Buckets: prometheus.DefBuckets,
		}, []string{"receiver"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.sent, err = register(reg, m.sent); err != nil {
		return nil, err
	}
	if m.failed, err = register(reg, m.failed); err != nil {
		return nil, err
	}
	if m.retried, err = register(reg, m.retried); err != nil {
		return nil, err
	}
	if m.superseded, err = register(reg, m.superseded); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, or returns the equal collector reg
// already holds.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
