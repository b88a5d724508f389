package otlp

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/prometheus/model/exemplar"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// Suffixes and labels of the series a histogram or summary becomes.
const (
	suffixSum    = "_sum"
	suffixCount  = "_count"
	suffixBucket = "_bucket"
	labelLe      = "le"
	labelQuant   = "quantile"
	leInf        = "+Inf"
)

// numberPoints translates gauge and sum data points: each becomes one sample
// of the metric family. Sums carry their exemplars.
func (t *translator) numberPoints(mc *metric, dps []*metricspb.NumberDataPoint) {
	for _, dp := range dps {
		if t.err != nil {
			return
		}
		st, ts, ok := t.pointTimes(mc, dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano())
		if !ok {
			continue
		}
		stale := isStale(dp.GetFlags())
		var v float64
		switch x := dp.GetValue().(type) {
		case *metricspb.NumberDataPoint_AsDouble:
			v = sampleValue(x.AsDouble)
		case *metricspb.NumberDataPoint_AsInt:
			v = float64(x.AsInt)
		default:
			if !stale {
				t.reject(mc.name, 1, ReasonMissingValue, "data point has no value")
				continue
			}
		}
		if stale {
			v = staleMarker()
		}
		if !t.pointLabels(mc, dp.GetAttributes(), true) || !t.pointWithinBudget(mc, 1) {
			continue
		}
		var ex []exemplar.Exemplar
		if mc.kind != kindGauge && !stale {
			ex = t.convertExemplars(dp.GetExemplars())
			slices.SortFunc(ex, exemplar.Compare)
		}
		t.beginPoint()
		t.appendSample(mc, t.seriesLabels(mc.family, "", ""), st, ts, v, nil, ex)
		t.endPoint(mc)
	}
}

// summaryPoints translates summary data points into <family>_sum,
// <family>_count and one <family>{quantile="q"} series per quantile.
func (t *translator) summaryPoints(mc *metric, dps []*metricspb.SummaryDataPoint) {
	var quantiles []float64
	for _, dp := range dps {
		if t.err != nil {
			return
		}
		st, ts, ok := t.pointTimes(mc, dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano())
		if !ok {
			continue
		}
		qvs := dp.GetQuantileValues()
		quantiles = quantiles[:0]
		for _, qv := range qvs {
			quantiles = append(quantiles, qv.GetQuantile())
		}
		if detail := checkQuantiles(quantiles, qvs); detail != "" {
			t.reject(mc.name, 1, ReasonInvalidSummary, detail)
			continue
		}
		if !t.pointLabels(mc, dp.GetAttributes(), true) || !t.pointWithinBudget(mc, len(qvs)+2) {
			continue
		}
		stale := isStale(dp.GetFlags())
		val := func(v float64) float64 {
			if stale {
				return staleMarker()
			}
			return sampleValue(v)
		}
		t.beginPoint()
		t.appendSample(mc, t.seriesLabels(mc.sumName, "", ""), st, ts, val(dp.GetSum()), nil, nil)
		t.appendSample(mc, t.seriesLabels(mc.countName, "", ""), st, ts, val(float64(dp.GetCount())), nil, nil)
		for _, qv := range qvs {
			q := strconv.FormatFloat(qv.GetQuantile(), 'f', -1, 64)
			t.appendSample(mc, t.seriesLabels(mc.family, labelQuant, q), st, ts, val(qv.GetValue()), nil, nil)
		}
		t.endPoint(mc)
	}
}

// checkQuantiles returns what is wrong with a summary's quantiles, or "".
// Quantiles must lie in [0, 1] and be distinct; their order does not matter.
// It sorts qs.
func checkQuantiles(qs []float64, qvs []*metricspb.SummaryDataPoint_ValueAtQuantile) string {
	for i, q := range qs {
		if qvs[i] == nil {
			return "summary has an empty quantile value"
		}
		if math.IsNaN(q) || q < 0 || q > 1 {
			return fmt.Sprintf("quantile %v is outside [0, 1]", q)
		}
	}
	slices.Sort(qs)
	for i := 1; i < len(qs); i++ {
		if qs[i] == qs[i-1] {
			return fmt.Sprintf("quantile %v appears more than once", qs[i])
		}
	}
	return ""
}
