package otlp

import (
	"errors"
	"fmt"
	"math"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// TranslateOptions tune Translate.
type TranslateOptions struct {
	// MaxTimestamp is the latest sample timestamp accepted, in milliseconds
	// since the Unix epoch; a data point after it is rejected with
	// ReasonFutureTimestamp. Zero accepts any timestamp. A single far-future
	// sample moves the head of a TSDB forward and makes every present sample
	// too old, so servers should set it.
	MaxTimestamp int64
	// MaxLabelBytes bounds the label data Translate builds, summed over all
	// samples: every sample of a data point repeats the point's labels, so a
	// small request with long attributes on a histogram with many buckets
	// can expand a hundred-thousandfold. Data points beyond the bound are rejected
	// with ReasonExpansionLimit. Zero means no bound.
	MaxLabelBytes int64
}

const (
	// targetInfoInterval is the spacing of target_info samples over the time
	// range of a resource's data points: half of PromQL's default lookback
	// delta of five minutes, as Prometheus does, so that a join with
	// target_info finds a sample at every point of the range.
	targetInfoInterval = int64(150_000)
	// maxTargetInfoSamples bounds the target_info samples written for one
	// resource; a request spanning a longer range gets target_info over its
	// latest part only.
	maxTargetInfoSamples = 128
	// defaultZeroThreshold is the zero bucket width of native histograms made
	// from exponential histograms that do not state one; Prometheus uses the
	// same value.
	defaultZeroThreshold = 1e-128
	// nanosPerMilli converts OTLP timestamps to Prometheus timestamps.
	nanosPerMilli = 1_000_000
)

// Translate appends the samples of req to app, following Prometheus's own
// OTLP translation (see the package documentation), and reports what it
// appended and what it skipped.
//
// Data points that cannot be translated, and samples that app refuses for
// reasons that lie in the data (out of order, too old, duplicate, invalid
// histogram), are skipped and counted in the Result; the rest is appended. An
// error is returned only when app fails for another reason; the caller must
// then Rollback app. Translate never calls Commit or Rollback itself.
func Translate(app storage.AppenderV2, req *colmetricspb.ExportMetricsServiceRequest, opts TranslateOptions) (Result, error) {
	t := translator{
		app:            app,
		opts:           opts,
		labelNameCache: make(map[string]string),
		sb:             labels.NewScratchBuilder(16),
	}
	for _, rm := range req.GetResourceMetrics() {
		t.resourceMetrics(rm)
		if t.err != nil {
			return t.res, t.err
		}
	}
	t.res.Message = t.problems.message()
	return t.res, nil
}

// translator holds the state of one Translate call. Its scratch buffers are
// reused from data point to data point.
type translator struct {
	app      storage.AppenderV2
	opts     TranslateOptions
	res      Result
	problems problems
	// err is the storage failure that stops the translation.
	err error

	// labelNameCache caches labelName; an empty value marks an invalid key.
	labelNameCache  map[string]string
	metricNameCache map[metricNameKey]metricNameEntry
	attrs           []attr
	base            []labels.Label
	sb              labels.ScratchBuilder

	// job, instance and scope are the labels the current resource and scope
	// add to every data point.
	job, instance string
	scope         []labels.Label

	// minT and maxT span the timestamps of samples appended for the current
	// resource, for its target_info.
	minT, maxT     int64
	targetInfoSeen map[targetInfoKey]struct{}

	// baseBytes is the size of the label names and values in base;
	// labelBytes is the label data built so far, for MaxLabelBytes.
	baseBytes, labelBytes int64

	exemplars []exemplar.Exemplar
	bucketed  []bucketedExemplar
	exLabels  []labels.Label

	// pointFailure is the first storage refusal for the current data point.
	pointFailure Reason
}

// metric is what the translation of one OTLP metric's data points needs.
type metric struct {
	// name is the OTLP name, for messages.
	name string
	// family is the Prometheus metric family name; sumName, countName and
	// bucketName are the names of a histogram's or summary's series.
	family                         string
	sumName, countName, bucketName string
	kind                           metricKind
	opts                           storage.AOptions
	// withStart says whether start timestamps are passed on: they mean
	// something only for cumulative counters, histograms and summaries.
	withStart bool
}

func (t *translator) resourceMetrics(rm *metricspb.ResourceMetrics) {
	t.setResource(rm.GetResource().GetAttributes())
	t.minT, t.maxT = math.MaxInt64, math.MinInt64
	for _, sm := range rm.GetScopeMetrics() {
		t.setScope(sm)
		for _, m := range sm.GetMetrics() {
			t.metric(m)
			if t.err != nil {
				return
			}
		}
	}
	t.targetInfo(rm.GetResource().GetAttributes())
}

func (t *translator) metric(m *metricspb.Metric) {
	var (
		kind        metricKind
		points      int
		temporality = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	)
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		kind, points = kindGauge, len(d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		kind, points = kindUpDownCounter, len(d.Sum.GetDataPoints())
		if d.Sum.GetIsMonotonic() {
			kind = kindCounter
		}
		temporality = d.Sum.GetAggregationTemporality()
	case *metricspb.Metric_Histogram:
		kind, points = kindHistogram, len(d.Histogram.GetDataPoints())
		temporality = d.Histogram.GetAggregationTemporality()
	case *metricspb.Metric_ExponentialHistogram:
		kind, points = kindExponentialHistogram, len(d.ExponentialHistogram.GetDataPoints())
		temporality = d.ExponentialHistogram.GetAggregationTemporality()
	case *metricspb.Metric_Summary:
		kind, points = kindSummary, len(d.Summary.GetDataPoints())
	default:
		t.problems.add(m.GetName(), "metric has no data of a known type", 0)
		return
	}
	if points == 0 {
		return
	}
	switch temporality {
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE:
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA:
		t.reject(m.GetName(), int64(points), ReasonDeltaTemporality, "delta aggregation temporality is not supported")
		return
	default:
		t.reject(m.GetName(), int64(points), ReasonInvalidTemporality,
			fmt.Sprintf("aggregation temporality %d is not cumulative", int32(temporality)))
		return
	}

	names := t.metricNames(m.GetName(), m.GetUnit(), kind)
	if names.err != nil {
		t.reject(m.GetName(), int64(points), ReasonInvalidName, names.err.Error())
		return
	}
	mc := &metric{
		name:   m.GetName(),
		family: names.family,
		kind:   kind,
		opts: storage.AOptions{
			MetricFamilyName: names.family,
			Metadata: metadata.Metadata{
				Type: promType(kind),
				Unit: names.unit,
				Help: m.GetDescription(),
			},
		},
		withStart: kind != kindGauge && kind != kindUpDownCounter,
	}
	if kind == kindHistogram || kind == kindSummary {
		mc.sumName, mc.countName, mc.bucketName = names.family+suffixSum, names.family+suffixCount, names.family+suffixBucket
	}
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		t.numberPoints(mc, d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		t.numberPoints(mc, d.Sum.GetDataPoints())
	case *metricspb.Metric_Histogram:
		t.histogramPoints(mc, d.Histogram.GetDataPoints())
	case *metricspb.Metric_ExponentialHistogram:
		t.exponentialHistogramPoints(mc, d.ExponentialHistogram.GetDataPoints())
	case *metricspb.Metric_Summary:
		t.summaryPoints(mc, d.Summary.GetDataPoints())
	}
}

// metricNameKey and metricNameEntry cache metricName and unitName within a
// request, in which the same metrics recur for every resource.
type metricNameKey struct {
	name, unit string
	kind       metricKind
}

type metricNameEntry struct {
	family, unit string
	err          error
}

func (t *translator) metricNames(name, unit string, kind metricKind) metricNameEntry {
	key := metricNameKey{name: name, unit: unit, kind: kind}
	if e, ok := t.metricNameCache[key]; ok {
		return e
	}
	var e metricNameEntry
	e.family, e.err = metricName(name, unit, kind)
	if e.err == nil {
		e.unit = unitName(unit)
	}
	if t.metricNameCache == nil {
		t.metricNameCache = make(map[metricNameKey]metricNameEntry)
	}
	t.metricNameCache[key] = e
	return e
}

func promType(k metricKind) model.MetricType {
	switch k {
	case kindCounter:
		return model.MetricTypeCounter
	case kindHistogram, kindExponentialHistogram:
		return model.MetricTypeHistogram
	case kindSummary:
		return model.MetricTypeSummary
	default:
		return model.MetricTypeGauge
	}
}

// reject counts points data points of the OTLP metric name as rejected.
func (t *translator) reject(name string, points int64, reason Reason, detail string) {
	t.res.Rejected += points
	if t.res.Rejections == nil {
		t.res.Rejections = make(map[Reason]int64)
	}
	t.res.Rejections[reason] += points
	t.problems.add(name, detail, points)
}

// pointTimes converts a data point's timestamps to milliseconds, or rejects
// the data point and returns false.
func (t *translator) pointTimes(mc *metric, startNanos, nanos uint64) (st, ts int64, ok bool) {
	if nanos == 0 {
		t.reject(mc.name, 1, ReasonMissingTimestamp, "data point has no timestamp")
		return 0, 0, false
	}
	ts = int64(nanos / nanosPerMilli)
	if t.opts.MaxTimestamp != 0 && ts > t.opts.MaxTimestamp {
		t.reject(mc.name, 1, ReasonFutureTimestamp, "data point timestamp is too far in the future")
		return 0, 0, false
	}
	if mc.withStart {
		st = int64(startNanos / nanosPerMilli)
	}
	return st, ts, true
}

// perSeriesLabelBytes approximates what a label set costs beyond its names
// and values: __name__ and the encoding of lengths.
const perSeriesLabelBytes = 32

// withinBudget reports whether samples more series, named by up to nameLen
// bytes and labelled with t.base, fit in MaxLabelBytes, and if so takes
// them from the budget.
func (t *translator) withinBudget(samples, nameLen int) bool {
	cost := int64(samples) * (t.baseBytes + int64(nameLen) + perSeriesLabelBytes)
	if t.opts.MaxLabelBytes > 0 && t.labelBytes+cost > t.opts.MaxLabelBytes {
		return false
	}
	t.labelBytes += cost
	return true
}

func (t *translator) budgetDetail() string {
	return fmt.Sprintf("request expands into more than %d bytes of labels", t.opts.MaxLabelBytes)
}

// pointWithinBudget is withinBudget for a data point of mc, which it
// rejects when over the budget.
func (t *translator) pointWithinBudget(mc *metric, samples int) bool {
	if t.withinBudget(samples, len(mc.family)+len(suffixBucket)) {
		return true
	}
	t.reject(mc.name, 1, ReasonExpansionLimit, t.budgetDetail())
	return false
}

// beginPoint starts the samples of one data point.
func (t *translator) beginPoint() {
	t.pointFailure = ""
}

// endPoint counts the data point whose samples were appended since
// beginPoint.
func (t *translator) endPoint(mc *metric) {
	if t.err != nil {
		return
	}
	if t.pointFailure != "" {
		t.reject(mc.name, 1, t.pointFailure, "storage refused a sample: "+cause(t.pointFailure))
		return
	}
	t.res.Accepted++
}

// appendSample appends one sample of the current data point. A refusal that
// lies in the data marks the data point as failed; any other error stops the
// translation.
func (t *translator) appendSample(mc *metric, ls labels.Labels, st, ts int64, v float64, h *histogram.Histogram, ex []exemplar.Exemplar) {
	if t.err != nil {
		return
	}
	opts := mc.opts
	opts.Exemplars = ex
	ok, reason, err := t.append(ls, st, ts, v, h, opts)
	switch {
	case err != nil:
		t.err = fmt.Errorf("append sample of %q: %w", mc.family, err)
	case !ok:
		if t.pointFailure == "" {
			t.pointFailure = reason
		}
	default:
		t.minT, t.maxT = min(t.minT, ts), max(t.maxT, ts)
	}
}

// append calls the appender and sorts out its error: ok when the sample was
// stored, a reason when the storage refused the data, an error otherwise.
func (t *translator) append(ls labels.Labels, st, ts int64, v float64, h *histogram.Histogram, opts storage.AOptions) (ok bool, reason Reason, err error) {
	_, err = t.app.Append(0, ls, st, ts, v, h, nil, opts)
	if err == nil {
		t.res.Samples++
		return true, "", nil
	}
	var partial *storage.AppendPartialError
	if errors.As(err, &partial) {
		// The sample was stored; some of its exemplars were not.
		t.res.Samples++
		t.res.ExemplarsRejected += int64(len(partial.ExemplarErrors))
		return true, "", nil
	}
	var herr histogram.Error
	switch {
	case errors.Is(err, storage.ErrOutOfOrderSample):
		return false, ReasonOutOfOrder, nil
	case errors.Is(err, storage.ErrOutOfBounds), errors.Is(err, storage.ErrTooOldSample):
		return false, ReasonTooOld, nil
	case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
		return false, ReasonDuplicate, nil
	case errors.Is(err, storage.ErrNativeHistogramsDisabled), errors.As(err, &herr):
		return false, ReasonStorageRejected, nil
	}
	return false, "", err
}

// cause words a storage refusal for a message.
func cause(r Reason) string {
	switch r {
	case ReasonOutOfOrder:
		return "out of order"
	case ReasonTooOld:
		return "too old"
	case ReasonDuplicate:
		return "different value at the same timestamp"
	default:
		return "invalid sample"
	}
}

// isStale reports whether a data point's flags mark it as having no recorded
// value, which Prometheus represents with a stale marker.
func isStale(flags uint32) bool {
	return flags&uint32(metricspb.DataPointFlags_DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK) != 0
}

// staleMarker is the value Prometheus uses to mark a series as stale.
func staleMarker() float64 {
	return math.Float64frombits(value.StaleNaN)
}

// sampleValue keeps v as it is, except that a NaN that happens to carry the
// bits of a stale marker becomes an ordinary NaN: only the no-recorded-value
// flag may end a series.
func sampleValue(v float64) float64 {
	if value.IsStaleNaN(v) {
		return math.Float64frombits(value.NormalNaN)
	}
	return v
}
