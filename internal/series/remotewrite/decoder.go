// Package remotewrite decodes Prometheus remote-write 1.0
// (prometheus.WriteRequest) and 2.0 (io.prometheus.write.v2.Request)
// protobuf messages.
//
// It exists because decoding is the hot path of ingestion. Prometheus's own
// receiver unmarshals with gogo-generated code, which allocates every label
// name and value as a fresh string and every series as fresh slices. A
// [Decoder] instead reuses its memory from one request to the next and
// returns strings that alias the input buffer, so in steady state decoding
// allocates nothing. The price is a lifetime rule: everything a decode
// returns, strings included, is valid only until the next decode with the
// same Decoder and only while the caller leaves the input buffer untouched.
// Copy whatever must outlive the request (strings.Clone).
//
// Decoding is strict about the wire format. A truncated value, a varint
// beyond 64 bits, a length past the end of its message, a known field with
// the wrong wire type or a malformed unknown field is an error that names
// the element and its byte offset, such as
// "timeseries[3].labels[1].value: truncated length at byte 1234". What the
// gogo-generated code rejects, the decoder rejects too; it also rejects the
// few malformations that gogo lets through, which fuzz_test.go lists, and
// in 2.0 what the specification forbids: a symbols table that does not
// start with the empty string, a reference outside the table and an odd
// number of label references. Native histograms are checked in full but
// kept encoded until asked for with [Histogram.Decode], because they are
// rare and decoding them allocates.
//
// Work and memory are linear in the size of the input. A decoded request
// takes up to about 80 times the size of its encoding (an empty series is
// 2 bytes on the wire and 152 in memory), much as with gogo, so the caller
// must bound the size of what it decompresses.
//
// The package does not handle HTTP, content negotiation or snappy, and it
// does not validate what the messages say: label names, label order,
// duplicate labels, sample order and whether a series has any samples are
// for the appender to judge.
package remotewrite

import (
	"github.com/prometheus/common/model"
)

// Label is a label name and value. Both alias the decoded buffer.
type Label struct {
	Name, Value string
}

// Sample is one float sample. Timestamps are in milliseconds since the
// epoch; StartTimestamp is zero when unset, and always in 1.0.
type Sample struct {
	Value          float64
	Timestamp      int64
	StartTimestamp int64
}

// Exemplar is an exemplar of a series; in 2.0 its labels were resolved from
// the symbols table.
type Exemplar struct {
	Labels    []Label
	Value     float64
	Timestamp int64
}

// Metadata describes a metric family. Family is set in 1.0 only, where
// metadata comes per family at the top of the request; in 2.0 it comes per
// series, and Help and Unit were resolved from the symbols table.
type Metadata struct {
	Type   MetricType
	Family string
	Help   string
	Unit   string
}

// MetricType is the type of a metric family, numbered as on the wire, which
// is the same in both protocol versions. Values outside the known ones are
// passed through.
type MetricType int32

// The metric types of both protocol versions.
const (
	MetricTypeUnknown MetricType = iota
	MetricTypeCounter
	MetricTypeGauge
	MetricTypeHistogram
	MetricTypeGaugeHistogram
	MetricTypeSummary
	MetricTypeInfo
	MetricTypeStateset
)

// ModelType returns the Prometheus model type of t, and
// model.MetricTypeUnknown for a value this package does not know.
func (t MetricType) ModelType() model.MetricType {
	switch t {
	case MetricTypeCounter:
		return model.MetricTypeCounter
	case MetricTypeGauge:
		return model.MetricTypeGauge
	case MetricTypeHistogram:
		return model.MetricTypeHistogram
	case MetricTypeGaugeHistogram:
		return model.MetricTypeGaugeHistogram
	case MetricTypeSummary:
		return model.MetricTypeSummary
	case MetricTypeInfo:
		return model.MetricTypeInfo
	case MetricTypeStateset:
		return model.MetricTypeStateset
	default:
		return model.MetricTypeUnknown
	}
}

// TimeSeries is one series of a request. Its slices are capped at their
// length, so appending to one of them never overwrites another series.
type TimeSeries struct {
	Labels     []Label
	Samples    []Sample
	Histograms []Histogram
	Exemplars  []Exemplar
	// Metadata is set in 2.0 only; 1.0 sends it in Request.Metadata.
	Metadata Metadata
}

// Request is a decoded remote-write request.
type Request struct {
	Timeseries []TimeSeries
	// Metadata is set in 1.0 only; 2.0 sends it with each series.
	Metadata []Metadata
}

// Decoder decodes remote-write requests, reusing its memory from one call
// to the next. It is not safe for concurrent use; keep one per goroutine or
// in a sync.Pool. The zero value is ready to use.
//
// The Decoder keeps references into the last input buffer until its next
// decode, and keeps the memory of its largest request for reuse.
type Decoder struct {
	req Request

	// The series of a request take subslices of these, so that a request
	// costs no allocation once they have grown to fit. Exemplar labels are
	// kept apart from series labels because a series' exemplars may come
	// between its labels on the wire.
	labels         []Label
	exemplarLabels []Label
	samples        []Sample
	exemplars      []Exemplar
	histograms     []Histogram

	// symbols is the symbols table of the 2.0 request being decoded.
	symbols []string
}

// reset forgets the previous request while keeping its memory.
func (d *Decoder) reset() {
	d.req.Timeseries = d.req.Timeseries[:0]
	d.req.Metadata = d.req.Metadata[:0]
	d.labels = d.labels[:0]
	d.exemplarLabels = d.exemplarLabels[:0]
	d.samples = d.samples[:0]
	d.exemplars = d.exemplars[:0]
	d.histograms = d.histograms[:0]
	d.symbols = d.symbols[:0]
}

// newSeries appends a zero series to the request and returns it.
func (d *Decoder) newSeries() *TimeSeries {
	d.req.Timeseries = append(d.req.Timeseries, TimeSeries{})
	return &d.req.Timeseries[len(d.req.Timeseries)-1]
}

// mark records where a series starts in each of the decoder's arenas.
type mark struct {
	labels, samples, exemplars, histograms int
}

// mark returns the current ends of the decoder's arenas.
func (d *Decoder) mark() mark {
	return mark{len(d.labels), len(d.samples), len(d.exemplars), len(d.histograms)}
}

// finish points the slices of ts at what was appended to the arenas since
// m. An arena that grew while ts was being decoded moved, but the series
// decoded before ts keep pointing at the old copy, which holds the same
// values; from the next request on, the arenas are large enough and do not
// move.
func (d *Decoder) finish(ts *TimeSeries, m mark) {
	ts.Labels = d.labels[m.labels:len(d.labels):len(d.labels)]
	ts.Samples = d.samples[m.samples:len(d.samples):len(d.samples)]
	ts.Exemplars = d.exemplars[m.exemplars:len(d.exemplars):len(d.exemplars)]
	ts.Histograms = d.histograms[m.histograms:len(d.histograms):len(d.histograms)]
}
