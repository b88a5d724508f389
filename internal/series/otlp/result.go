package otlp

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reason says why data points were rejected. The set is small and fixed, so
// a Reason suits a metric label.
type Reason string

// The reasons a data point is rejected.
const (
	// ReasonDeltaTemporality: the metric has delta aggregation temporality,
	// which Prometheus does not store without converting it first.
	ReasonDeltaTemporality Reason = "delta_temporality"
	// ReasonInvalidTemporality: a sum or histogram has no aggregation
	// temporality, or an unknown one.
	ReasonInvalidTemporality Reason = "invalid_temporality"
	// ReasonInvalidName: the metric name or an attribute key has no
	// characters that are valid in a Prometheus name.
	ReasonInvalidName Reason = "invalid_name"
	// ReasonMissingTimestamp: time_unix_nano is zero.
	ReasonMissingTimestamp Reason = "missing_timestamp"
	// ReasonFutureTimestamp: the timestamp is later than the accepted maximum.
	ReasonFutureTimestamp Reason = "future_timestamp"
	// ReasonMissingValue: a gauge or sum data point carries no value.
	ReasonMissingValue Reason = "missing_value"
	// ReasonInvalidHistogram: buckets, bounds, counts or scale contradict the
	// OTLP data model.
	ReasonInvalidHistogram Reason = "invalid_histogram"
	// ReasonInvalidSummary: a quantile is outside [0, 1] or repeated.
	ReasonInvalidSummary Reason = "invalid_summary"
	// ReasonOutOfOrder: the storage holds a newer sample of the series.
	ReasonOutOfOrder Reason = "out_of_order"
	// ReasonTooOld: the sample is older than the storage accepts.
	ReasonTooOld Reason = "too_old"
	// ReasonDuplicate: the storage holds a different value at the same
	// timestamp.
	ReasonDuplicate Reason = "duplicate_timestamp"
	// ReasonStorageRejected: the storage refused the sample for another
	// reason that lies in the data, such as native histograms being disabled.
	ReasonStorageRejected Reason = "storage_rejected"
	// ReasonExpansionLimit: the request expands into more label data than
	// TranslateOptions.MaxLabelBytes allows.
	ReasonExpansionLimit Reason = "expansion_limit"
)

// Reasons lists every Reason, in the order of their declaration.
func Reasons() []Reason {
	return []Reason{
		ReasonDeltaTemporality, ReasonInvalidTemporality, ReasonInvalidName,
		ReasonMissingTimestamp, ReasonFutureTimestamp, ReasonMissingValue,
		ReasonInvalidHistogram, ReasonInvalidSummary, ReasonOutOfOrder,
		ReasonTooOld, ReasonDuplicate, ReasonStorageRejected, ReasonExpansionLimit,
	}
}

// Result summarises one translation. Data points are counted as OTLP counts
// them: a histogram data point is one point however many series it becomes.
type Result struct {
	// Accepted is the number of data points whose samples were all appended.
	Accepted int64
	// Rejected is the number of data points skipped. A data point whose
	// samples the storage refused only in part is counted here too.
	Rejected int64
	// Rejections counts Rejected by reason; it is nil when nothing was
	// rejected.
	Rejections map[Reason]int64
	// Samples is the number of Prometheus samples appended, target_info
	// included.
	Samples int64
	// ExemplarsRejected is the number of exemplars the storage refused
	// although it stored their samples.
	ExemplarsRejected int64
	// Message names the first problems found, for an OTLP partial success
	// error_message. It is empty when there were none.
	Message string
}

// Limits on what a Result's Message reports, so that a request with many bad
// data points gets a short answer.
const (
	maxProblems      = 5
	maxQuotedInMsg   = 120
	problemSeparator = "; "
)

// problem is one distinct complaint about a metric, with the number of data
// points it cost.
type problem struct {
	metric string
	detail string
	points int64
}

// problems collects the first distinct problems of a translation.
type problems struct {
	list       []problem
	morePoints int64
	moreOther  bool
}

// add records that points data points of metric were rejected because of
// detail. A points of zero records a warning.
func (p *problems) add(metric, detail string, points int64) {
	for i := range p.list {
		if p.list[i].metric == metric && p.list[i].detail == detail {
			p.list[i].points += points
			return
		}
	}
	if len(p.list) < maxProblems {
		p.list = append(p.list, problem{metric: metric, detail: detail, points: points})
		return
	}
	p.morePoints += points
	if points == 0 {
		p.moreOther = true
	}
}

// message renders the problems as one human-readable line.
func (p *problems) message() string {
	if len(p.list) == 0 {
		return ""
	}
	var b strings.Builder
	for i, pr := range p.list {
		if i > 0 {
			b.WriteString(problemSeparator)
		}
		if pr.metric != "" {
			fmt.Fprintf(&b, "metric %s: ", quote(pr.metric))
		}
		b.WriteString(pr.detail)
		switch pr.points {
		case 0:
		case 1:
			b.WriteString(" (1 data point)")
		default:
			fmt.Fprintf(&b, " (%d data points)", pr.points)
		}
	}
	switch {
	case p.morePoints > 0:
		fmt.Fprintf(&b, "%s%d more data points rejected for other problems", problemSeparator, p.morePoints)
	case p.moreOther:
		fmt.Fprintf(&b, "%sand other problems", problemSeparator)
	}
	return b.String()
}

// quote quotes s for a message, shortened to a bounded length at a rune
// boundary so that a hostile name cannot blow up the response.
func quote(s string) string {
	if len(s) <= maxQuotedInMsg {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuotedInMsg
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}
