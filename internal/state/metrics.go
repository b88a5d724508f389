package state

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collectTimeout bounds the query behind vigil_state_outbox_items during a
// scrape.
const collectTimeout = 5 * time.Second

// Repository operations, the values of the operation label.
const (
	opMetaGet        = "meta_get"
	opMetaPut        = "meta_put"
	opMetaDelete     = "meta_delete"
	opOutboxEnqueue  = "outbox_enqueue"
	opOutboxClaim    = "outbox_claim"
	opOutboxComplete = "outbox_complete"
	opOutboxRetry    = "outbox_retry"
	opOutboxFail     = "outbox_fail"
	opOutboxList     = "outbox_list"
	opOutboxCount    = "outbox_count"

	opETLRunCreate     = "etl_run_create"
	opETLRunSave       = "etl_run_save"
	opETLRunGet        = "etl_run_get"
	opETLRunList       = "etl_run_list"
	opETLTaskSave      = "etl_task_save"
	opETLTaskList      = "etl_task_list"
	opETLActive        = "etl_active_load"
	opETLLastSuccess   = "etl_last_success"
	opETLAttemptSave   = "etl_attempt_save"
	opETLAttemptList   = "etl_attempt_list"
	opETLLogAppend     = "etl_log_append"
	opETLLogList       = "etl_log_list"
	opETLControlRecord = "etl_control_record"
	opETLControlList   = "etl_control_list"
	opETLPipelineSave  = "etl_pipeline_save"
	opETLPipelineList  = "etl_pipeline_list"
	opETLCircuitSave   = "etl_circuit_save"
	opETLCircuitList   = "etl_circuit_list"
	opETLAgentSave     = "etl_agent_save"
	opETLAgentList     = "etl_agent_list"
)

// operations returns every repository operation.
func operations() []string {
	return []string{
		opMetaGet, opMetaPut, opMetaDelete,
		opOutboxEnqueue, opOutboxClaim, opOutboxComplete, opOutboxRetry, opOutboxFail, opOutboxList, opOutboxCount,
		opETLRunCreate, opETLRunSave, opETLRunGet, opETLRunList, opETLTaskSave, opETLTaskList,
		opETLActive, opETLLastSuccess, opETLAttemptSave, opETLAttemptList, opETLLogAppend, opETLLogList,
		opETLControlRecord, opETLControlList, opETLPipelineSave, opETLPipelineList,
		opETLCircuitSave, opETLCircuitList, opETLAgentSave, opETLAgentList,
	}
}

// metrics holds the store's instruments.
type metrics struct {
	reg               prometheus.Registerer
	collectors        []prometheus.Collector
	operationErrors   *prometheus.CounterVec
	migrationsApplied prometheus.Counter
	schemaVersion     prometheus.Gauge
}

// newMetrics creates the store's metrics and registers them with reg, unless
// reg is nil.
func newMetrics(reg prometheus.Registerer, s *Store) (*metrics, error) {
	m := &metrics{
		reg: reg,
		operationErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_state_operation_errors_total",
			Help: "Repository operations of the state store that failed in the database, by operation.",
		}, []string{"operation"}),
		migrationsApplied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_state_migrations_applied_total",
			Help: "Schema migrations this process applied to the state store.",
		}),
		schemaVersion: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_state_schema_version",
			Help: "Schema version of the state store's database.",
		}),
	}
	// Export every operation's series from the start, so that alerts on
	// their rate see zero rather than nothing.
	for _, op := range operations() {
		m.operationErrors.WithLabelValues(op)
	}
	m.collectors = []prometheus.Collector{
		m.operationErrors, m.migrationsApplied, m.schemaVersion, newOutboxCollector(s),
	}
	if reg == nil {
		return m, nil
	}
	for i, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, err
		}
	}
	return m, nil
}

// unregister removes the metrics from the registerer, so that a store
// opened later can register its own.
func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// observe counts *errp as a failed operation if it is a failure of the
// database, not a result such as ErrNotFound or a caller's mistake. It is
// meant to be deferred by repository methods.
func (s *Store) observe(op string, errp *error) {
	err := *errp
	if err == nil ||
		errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrNotOwner) ||
		errors.Is(err, errInvalid) ||
		errors.Is(err, context.Canceled) {
		return
	}
	s.metrics.operationErrors.WithLabelValues(op).Inc()
}

// outboxCollector exports the number of outbox items by topic and state,
// counted in the database at each scrape.
type outboxCollector struct {
	store *Store
	desc  *prometheus.Desc
}

func newOutboxCollector(s *Store) *outboxCollector {
	return &outboxCollector{
		store: s,
		desc: prometheus.NewDesc("vigil_state_outbox_items",
			"Items in the durable outbox, by topic and state.",
			[]string{"topic", "state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
}

// Collect implements prometheus.Collector. If the count fails, it exports
// nothing, so that a state store problem does not fail the whole scrape; the
// failure is counted in vigil_state_operation_errors_total.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	counts, err := c.store.Outbox().count(ctx)
	if err != nil {
		c.store.logger.Debug("count outbox items for metrics", "err", err)
		return
	}
	for topic, byState := range counts {
		for _, st := range itemStates() {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(byState[st]), topic, string(st))
		}
	}
}
