package otlp

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// histogramPoints translates explicit-bucket histogram data points into
// classic Prometheus histograms: <family>_sum (when the point has a sum),
// <family>_count, and cumulative <family>_bucket{le="b"} series for every
// bound plus le="+Inf". Exemplars go to the bucket their value falls in.
func (t *translator) histogramPoints(mc *metric, dps []*metricspb.HistogramDataPoint) {
	// The data points of a metric nearly always share their bounds, so the
	// le values are formatted once.
	var lesFor []float64
	var les []string
	for _, dp := range dps {
		if t.err != nil {
			return
		}
		st, ts, ok := t.pointTimes(mc, dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano())
		if !ok {
			continue
		}
		stale := isStale(dp.GetFlags())
		if detail := checkHistogram(dp, stale); detail != "" {
			t.reject(mc.name, 1, ReasonInvalidHistogram, detail)
			continue
		}
		bounds, counts := dp.GetExplicitBounds(), dp.GetBucketCounts()
		if !t.pointLabels(mc, dp.GetAttributes(), true) || !t.pointWithinBudget(mc, len(bounds)+3) {
			continue
		}

		// An explicit +Inf bound, necessarily the last, duplicates the
		// le="+Inf" bucket, which is taken from the count.
		if n := len(bounds); n > 0 && math.IsInf(bounds[n-1], 1) {
			bounds = bounds[:n-1]
		}
		val := func(v float64) float64 {
			if stale {
				return staleMarker()
			}
			return v
		}
		if !slices.EqualFunc(bounds, lesFor, sameFloat) {
			lesFor, les = bounds, les[:0]
			for _, b := range bounds {
				les = append(les, strconv.FormatFloat(b, 'f', -1, 64))
			}
		}
		var buckets [][]exemplar.Exemplar
		if !stale {
			buckets = t.exemplarsByBucket(dp.GetExemplars(), bounds)
		}

		t.beginPoint()
		if dp.Sum != nil {
			t.appendSample(mc, t.seriesLabels(mc.sumName, "", ""), st, ts, val(sampleValue(dp.GetSum())), nil, nil)
		}
		t.appendSample(mc, t.seriesLabels(mc.countName, "", ""), st, ts, val(float64(dp.GetCount())), nil, nil)
		var cumulative uint64
		for i := range bounds {
			cumulative += counts[i]
			t.appendSample(mc, t.seriesLabels(mc.bucketName, labelLe, les[i]), st, ts, val(float64(cumulative)), nil, bucketExemplars(buckets, i))
		}
		t.appendSample(mc, t.seriesLabels(mc.bucketName, labelLe, leInf), st, ts, val(float64(dp.GetCount())), nil, bucketExemplars(buckets, len(bounds)))
		t.endPoint(mc)
	}
}

// sameFloat reports whether a and b are the same float64, telling -0 from 0.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}

// checkHistogram returns what is wrong with an explicit-bucket histogram
// data point, or "". There must be one bucket count more than bounds (or
// neither), the bounds must be strictly increasing, and the bucket counts
// must add up to the count, as for a Prometheus native histogram; a NaN sum
// allows fewer, since NaN observations fall in no bucket. The counts of a
// stale data point are not checked.
func checkHistogram(dp *metricspb.HistogramDataPoint, stale bool) string {
	bounds, counts := dp.GetExplicitBounds(), dp.GetBucketCounts()
	switch {
	case len(counts) == 0 && len(bounds) != 0:
		return fmt.Sprintf("histogram has %d explicit bounds but no bucket counts", len(bounds))
	case len(counts) != 0 && len(counts) != len(bounds)+1:
		return fmt.Sprintf("histogram has %d bucket counts for %d explicit bounds, want %d", len(counts), len(bounds), len(bounds)+1)
	}
	for i, b := range bounds {
		if math.IsNaN(b) {
			return "histogram has a NaN explicit bound"
		}
		if i > 0 && b <= bounds[i-1] {
			return fmt.Sprintf("histogram explicit bounds are not strictly increasing at %v", b)
		}
	}
	if stale || len(counts) == 0 {
		return ""
	}
	total, ok := sumCounts(0, counts)
	if !ok {
		return "histogram bucket counts overflow"
	}
	count := dp.GetCount()
	if total == count || (total < count && dp.Sum != nil && math.IsNaN(dp.GetSum())) {
		return ""
	}
	return fmt.Sprintf("histogram bucket counts add up to %d, count is %d", total, count)
}

// sumCounts adds counts to total and reports false on overflow.
func sumCounts(total uint64, counts []uint64) (uint64, bool) {
	for _, c := range counts {
		var carry uint64
		total, carry = bits.Add64(total, c, 0)
		if carry != 0 {
			return 0, false
		}
	}
	return total, true
}

// bucketedExemplar is an exemplar with the index of its histogram bucket.
type bucketedExemplar struct {
	bucket int
	ex     exemplar.Exemplar
}

// exemplarsByBucket converts a histogram data point's exemplars and groups
// them by the bucket their value falls in: bucket i is (bounds[i-1],
// bounds[i]], bucket len(bounds) is +Inf and also takes NaN values. Each
// group is sorted by timestamp. It returns nil when there are no exemplars.
func (t *translator) exemplarsByBucket(src []*metricspb.Exemplar, bounds []float64) [][]exemplar.Exemplar {
	exs := t.convertExemplars(src)
	if len(exs) == 0 {
		return nil
	}
	t.bucketed = t.bucketed[:0]
	for _, e := range exs {
		i := len(bounds)
		if !math.IsNaN(e.Value) {
			i, _ = slices.BinarySearch(bounds, e.Value)
		}
		t.bucketed = append(t.bucketed, bucketedExemplar{bucket: i, ex: e})
	}
	slices.SortFunc(t.bucketed, func(a, b bucketedExemplar) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), exemplar.Compare(a.ex, b.ex))
	})
	// Rewrite exs in bucket order and slice it per bucket.
	out := make([][]exemplar.Exemplar, len(bounds)+1)
	exs = exs[:0]
	for _, b := range t.bucketed {
		exs = append(exs, b.ex)
	}
	for start := 0; start < len(t.bucketed); {
		end := start + 1
		for end < len(t.bucketed) && t.bucketed[end].bucket == t.bucketed[start].bucket {
			end++
		}
		out[t.bucketed[start].bucket] = exs[start:end:end]
		start = end
	}
	return out
}

func bucketExemplars(buckets [][]exemplar.Exemplar, i int) []exemplar.Exemplar {
	if buckets == nil {
		return nil
	}
	return buckets[i]
}

// exponentialHistogramPoints translates exponential histogram data points
// into Prometheus native histograms with the same schema. A scale above
// Prometheus's maximum is reduced to it by merging neighbouring buckets; a
// scale below its minimum cannot be represented and is rejected.
func (t *translator) exponentialHistogramPoints(mc *metric, dps []*metricspb.ExponentialHistogramDataPoint) {
	for _, dp := range dps {
		if t.err != nil {
			return
		}
		st, ts, ok := t.pointTimes(mc, dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano())
		if !ok {
			continue
		}
		stale := isStale(dp.GetFlags())
		var h *histogram.Histogram
		if stale {
			h = &histogram.Histogram{Sum: staleMarker()}
		} else {
			var err error
			if h, err = nativeHistogram(dp); err != nil {
				t.reject(mc.name, 1, ReasonInvalidHistogram, err.Error())
				continue
			}
		}
		if !t.pointLabels(mc, dp.GetAttributes(), true) || !t.pointWithinBudget(mc, 1) {
			continue
		}
		var ex []exemplar.Exemplar
		if !stale {
			ex = t.convertExemplars(dp.GetExemplars())
			slices.SortFunc(ex, exemplar.Compare)
		}
		t.beginPoint()
		t.appendSample(mc, t.seriesLabels(mc.family, "", ""), st, ts, 0, h, ex)
		t.endPoint(mc)
	}
}

// nativeHistogram converts an exponential histogram data point. OTLP bucket
// i holds (base^i, base^(i+1)], Prometheus bucket i holds (base^(i-1),
// base^i], so indexes shift by one.
func nativeHistogram(dp *metricspb.ExponentialHistogramDataPoint) (*histogram.Histogram, error) {
	scale := dp.GetScale()
	if scale < histogram.ExponentialSchemaMin {
		return nil, fmt.Errorf("exponential histogram scale %d is below the minimum %d", scale, histogram.ExponentialSchemaMin)
	}
	var down int32
	if scale > histogram.ExponentialSchemaMax {
		down, scale = scale-histogram.ExponentialSchemaMax, histogram.ExponentialSchemaMax
	}
	zt := dp.GetZeroThreshold()
	switch {
	case math.IsNaN(zt) || zt < 0 || math.IsInf(zt, 1):
		return nil, fmt.Errorf("exponential histogram zero threshold %v is not a finite non-negative number", zt)
	case zt == 0:
		zt = defaultZeroThreshold
	}

	total, ok := sumCounts(dp.GetZeroCount(), dp.GetPositive().GetBucketCounts())
	if ok {
		total, ok = sumCounts(total, dp.GetNegative().GetBucketCounts())
	}
	if !ok || total > math.MaxInt64 {
		return nil, fmt.Errorf("exponential histogram bucket counts overflow")
	}
	pSpans, pDeltas, err := nativeBuckets(dp.GetPositive(), down)
	if err != nil {
		return nil, fmt.Errorf("positive buckets: %w", err)
	}
	nSpans, nDeltas, err := nativeBuckets(dp.GetNegative(), down)
	if err != nil {
		return nil, fmt.Errorf("negative buckets: %w", err)
	}
	h := &histogram.Histogram{
		CounterResetHint: histogram.UnknownCounterReset,
		Schema:           scale,
		ZeroThreshold:    zt,
		ZeroCount:        dp.GetZeroCount(),
		Count:            dp.GetCount(),
		Sum:              sampleValue(dp.GetSum()),
		PositiveSpans:    pSpans,
		PositiveBuckets:  pDeltas,
		NegativeSpans:    nSpans,
		NegativeBuckets:  nDeltas,
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("exponential histogram: %w", err)
	}
	return h, nil
}

// maxSpanGap is the largest run of empty buckets written inside a span
// rather than starting a new span, as Prometheus's client library does.
const maxSpanGap = 2

// nativeBuckets converts one side of an exponential histogram into native
// histogram spans and delta-encoded bucket counts, merging 2^down
// neighbouring buckets into one. Empty buckets are left out. The caller has
// checked that the counts add up to no more than math.MaxInt64.
func nativeBuckets(b *metricspb.ExponentialHistogramDataPoint_Buckets, down int32) ([]histogram.Span, []int64, error) {
	counts := b.GetBucketCounts()
	if len(counts) == 0 {
		return nil, nil, nil
	}
	offset := int64(b.GetOffset())
	if last := offset + int64(len(counts)); last > math.MaxInt32 {
		return nil, nil, fmt.Errorf("bucket index %d is out of range", last)
	}

	var (
		spans   []histogram.Span
		deltas  []int64
		lastIdx int64 // index of the last bucket written
		prev    int64 // count of the last bucket written
	)
	emit := func(idx int64, count int64) {
		switch gap := idx - lastIdx - 1; {
		case len(spans) == 0:
			spans = append(spans, histogram.Span{Offset: int32(idx)})
		case gap > maxSpanGap:
			spans = append(spans, histogram.Span{Offset: int32(gap)})
		default:
			for range gap {
				spans[len(spans)-1].Length++
				deltas = append(deltas, -prev)
				prev = 0
			}
		}
		spans[len(spans)-1].Length++
		deltas = append(deltas, count-prev)
		lastIdx, prev = idx, count
	}

	// Buckets that merge into one are adjacent, so one pass suffices.
	var cur, curCount int64
	started := false
	for i, c := range counts {
		idx := (offset+int64(i))>>down + 1
		if started && idx == cur {
			curCount += int64(c)
			continue
		}
		if started && curCount != 0 {
			emit(cur, curCount)
		}
		cur, curCount, started = idx, int64(c), true
	}
	if curCount != 0 {
		emit(cur, curCount)
	}
	return spans, deltas, nil
}
