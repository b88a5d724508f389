package remotewrite

import (
	"fmt"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// Histogram is one native histogram sample. Decoding a request checks that
// the histogram is well formed and reads its timestamps, but leaves its
// buckets encoded until Decode is called: native histograms are rare in
// remote write, and decoding them allocates.
type Histogram struct {
	// Timestamp is in milliseconds since the epoch.
	Timestamp int64
	// StartTimestamp is in milliseconds since the epoch, and zero when
	// unset, as it always is in 1.0.
	StartTimestamp int64
	// Raw is the encoded prometheus.Histogram or
	// io.prometheus.write.v2.Histogram message. It aliases the input.
	Raw []byte

	v2 bool // Whether Raw is an io.prometheus.write.v2.Histogram.
}

// Decode decodes h with the Prometheus protobuf code and returns either an
// integer histogram or a float histogram, whichever h holds, as the
// Prometheus receiver would append it. The result does not alias the input.
func (h Histogram) Decode() (*histogram.Histogram, *histogram.FloatHistogram, error) {
	if h.v2 {
		var m writev2.Histogram
		if err := m.Unmarshal(h.Raw); err != nil {
			return nil, nil, fmt.Errorf("decode remote-write 2.0 histogram: %w", err)
		}
		if m.IsFloatHistogram() {
			return nil, m.ToFloatHistogram(), nil
		}
		return m.ToIntHistogram(), nil, nil
	}
	var m prompb.Histogram
	if err := m.Unmarshal(h.Raw); err != nil {
		return nil, nil, fmt.Errorf("decode remote-write 1.0 histogram: %w", err)
	}
	if m.IsFloatHistogram() {
		return nil, m.ToFloatHistogram(), nil
	}
	return m.ToIntHistogram(), nil, nil
}

// scanHistogram checks the encoded prometheus.Histogram b, or with v2 the
// io.prometheus.write.v2.Histogram b, which ends at offset end of the
// input, and fills in h. It rejects whatever Histogram.Decode would
// reject, so that a request is refused as a whole rather than found broken
// halfway through appending.
func scanHistogram(b []byte, end int, h *Histogram, v2 bool) error {
	c := newCursor(b, end)
	h.Raw, h.v2 = b, v2
	var counts [17]int // The number of values so far of the repeated fields, by number.
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		name := histogramField(c.num, v2)
		var err error
		switch c.num {
		case 1, 4, 6, 14:
			_, err = c.varint(name, -1)
		case 15:
			var v uint64
			v, err = c.varint(name, -1)
			h.Timestamp = int64(v)
		case 2, 3, 5, 7:
			_, err = c.fixed64(name, -1)
		case 8, 11:
			i := counts[c.num]
			var sb []byte
			if sb, err = c.bytes(name, i); err != nil {
				return err
			}
			counts[c.num]++
			if err := scanSpan(sb, c.pos()); err != nil {
				return within(err, name, i)
			}
		case 9, 12:
			var n int
			n, err = c.repeated(name, counts[c.num], protowire.VarintType)
			counts[c.num] += n
		case 10, 13, 16:
			var n int
			n, err = c.repeated(name, counts[c.num], protowire.Fixed64Type)
			counts[c.num] += n
		case 17:
			if !v2 {
				err = c.skip()
				break
			}
			var v uint64
			v, err = c.varint(name, -1)
			h.StartTimestamp = int64(v)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanSpan checks the encoded BucketSpan b, which ends at offset end of the
// input.
func scanSpan(b []byte, end int) error {
	c := newCursor(b, end)
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch c.num {
		case 1:
			_, err = c.varint("offset", -1)
		case 2:
			_, err = c.varint("length", -1)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// repeated consumes a field of a repeated scalar of wire type typ, packed
// or not, whose values so far number i, and returns how many values the
// field held.
func (c *cursor) repeated(name string, i int, typ protowire.Type) (int, error) {
	if c.typ == typ {
		_, err := c.scalar(name, i)
		return 1, err
	}
	if c.typ != protowire.BytesType {
		return 0, c.fail(name, i, "wire type "+typeName(c.typ)+", want "+typeName(typ)+" or length-delimited")
	}
	b, err := c.bytes(name, -1)
	if err != nil {
		return 0, err
	}
	pc := cursor{b: b, end: c.pos(), typ: typ}
	n := 0
	for ; pc.more(); n++ {
		pc.at = len(pc.b)
		if _, err := pc.scalar(name, i+n); err != nil {
			return n, err
		}
	}
	return n, nil
}

// scalar consumes the value of a varint or fixed64 field.
func (c *cursor) scalar(name string, i int) (uint64, error) {
	if c.typ == protowire.Fixed64Type {
		return c.fixed64(name, i)
	}
	return c.varint(name, i)
}

// histogramField returns the name of field num of a Histogram message.
func histogramField(num protowire.Number, v2 bool) string {
	switch num {
	case 1:
		return "count_int"
	case 2:
		return "count_float"
	case 3:
		return "sum"
	case 4:
		return "schema"
	case 5:
		return "zero_threshold"
	case 6:
		return "zero_count_int"
	case 7:
		return "zero_count_float"
	case 8:
		return "negative_spans"
	case 9:
		return "negative_deltas"
	case 10:
		return "negative_counts"
	case 11:
		return "positive_spans"
	case 12:
		return "positive_deltas"
	case 13:
		return "positive_counts"
	case 14:
		return "reset_hint"
	case 15:
		return "timestamp"
	case 16:
		return "custom_values"
	case 17:
		if v2 {
			return "start_timestamp"
		}
	}
	return ""
}
