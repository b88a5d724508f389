package remotewrite

import (
	"math"
	"slices"
	"testing"
	"unsafe"

	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"
)

// unknownFields holds one unknown field of each wire type, a nested group
// included, to be sent in every message.
func unknownFields() []byte {
	return cat(
		uvarint(100, 1<<63),
		fixed64(101, 7),
		msg(102, []byte("junk")),
		protowire.AppendFixed32(protowire.AppendTag(nil, 103, protowire.Fixed32Type), 9),
		group(104, uvarint(1, 1), group(2, msg(3, []byte("deep")))),
		group(105),
	)
}

// withUnknownV1 returns a copy of r with unknown fields in every message.
func withUnknownV1(r *prompb.WriteRequest) *prompb.WriteRequest {
	u := unknownFields()
	out := &prompb.WriteRequest{XXX_unrecognized: u}
	for _, ts := range r.Timeseries {
		ts.XXX_unrecognized = u
		ts.Labels = slices.Clone(ts.Labels)
		for i := range ts.Labels {
			ts.Labels[i].XXX_unrecognized = u
		}
		ts.Samples = slices.Clone(ts.Samples)
		for i := range ts.Samples {
			ts.Samples[i].XXX_unrecognized = u
		}
		ts.Exemplars = slices.Clone(ts.Exemplars)
		for i := range ts.Exemplars {
			ts.Exemplars[i].XXX_unrecognized = u
			ts.Exemplars[i].Labels = slices.Clone(ts.Exemplars[i].Labels)
			for j := range ts.Exemplars[i].Labels {
				ts.Exemplars[i].Labels[j].XXX_unrecognized = u
			}
		}
		ts.Histograms = slices.Clone(ts.Histograms)
		for i := range ts.Histograms {
			ts.Histograms[i].XXX_unrecognized = u
		}
		out.Timeseries = append(out.Timeseries, ts)
	}
	for _, md := range r.Metadata {
		md.XXX_unrecognized = u
		out.Metadata = append(out.Metadata, md)
	}
	return out
}

func TestDecodeV1(t *testing.T) {
	merged := richV1()
	merged.Timeseries = append(merged.Timeseries, scrapeV1(3).Timeseries...)

	tests := []struct {
		name string
		req  *prompb.WriteRequest
		buf  []byte // The encoding of req, when not req.Marshal().
	}{
		{name: "empty", req: &prompb.WriteRequest{}},
		{name: "scrape", req: scrapeV1(50)},
		{name: "every field", req: richV1()},
		{name: "unknown fields everywhere", req: withUnknownV1(richV1())},
		{
			// Concatenated encodings merge, so a sender may stream series.
			name: "concatenated requests",
			req:  merged,
			buf:  cat(marshal(t, richV1()), marshal(t, scrapeV1(3))),
		},
		{
			// Fields may come in any order, and repeated fields interleaved.
			name: "fields out of order",
			req: &prompb.WriteRequest{
				Timeseries: []prompb.TimeSeries{{
					Labels:  []prompb.Label{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}},
					Samples: []prompb.Sample{{Value: 1, Timestamp: 1}, {Value: 2, Timestamp: 2}},
				}},
				Metadata: []prompb.MetricMetadata{{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "m"}},
			},
			buf: cat(
				msg(3, str(2, "m"), uvarint(1, 2)),
				msg(1,
					msg(2, uvarint(2, 1), fixed64(1, 0x3ff0000000000000)),
					msg(1, str(2, "1"), str(1, "a")),
					msg(2, fixed64(1, 0x4000000000000000), uvarint(2, 2)),
					msg(1, str(2, "2"), str(1, "b")),
				),
			),
		},
		{
			// The last of several values of a scalar field wins.
			name: "repeated scalars",
			req: &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
				Labels:  []prompb.Label{{Name: "b", Value: "2"}},
				Samples: []prompb.Sample{{Value: 2, Timestamp: 2}},
			}}},
			buf: msg(1,
				msg(1, str(1, "a"), str(2, "1"), str(1, "b"), str(2, "2")),
				msg(2, fixed64(1, 0x3ff0000000000000), uvarint(2, 1), fixed64(1, 0x4000000000000000), uvarint(2, 2)),
			),
		},
		{
			// Gogo drops the sign of a zero when encoding, not decoding.
			name: "negative zero",
			req: &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
				Samples: []prompb.Sample{{Value: math.Copysign(0, -1), Timestamp: 1}},
			}}},
			buf: msg(1, msg(2, fixed64(1, 1<<63), uvarint(2, 1))),
		},
		{
			// Varints may be padded with continuation bytes.
			name: "overlong varints",
			req: &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
				Labels:  []prompb.Label{{Name: "a", Value: "1"}},
				Samples: []prompb.Sample{{Timestamp: 3}},
			}}},
			buf: cat(
				[]byte{0x8a, 0x80, 0x80, 0x00}, // Tag of field 1, length-delimited.
				[]byte{0x8e, 0x80, 0x00},       // Length 14.
				[]byte{0x0a, 0x86, 0x00, 0x0a, 0x01, 'a', 0x12, 0x01, '1'},
				[]byte{0x12, 0x03, 0x10, 0x83, 0x00},
			),
		},
	}
	var reused Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := tt.buf
			if buf == nil {
				buf = marshal(t, tt.req)
			}
			for _, d := range []*Decoder{new(Decoder), &reused} {
				if err := checkV1(t, d, buf); err != nil {
					t.Fatalf("DecodeV1: %v", err)
				}
				got, err := d.DecodeV1(buf)
				if err != nil {
					t.Fatal(err)
				}
				if err := compareV1(got, tt.req); err != nil {
					t.Fatal(err)
				}
				assertAliases(t, got, buf)
			}
		})
	}
}

// assertAliases fails t unless every string of r points into buf.
func assertAliases(t *testing.T, r *Request, buf []byte) {
	t.Helper()
	check := func(s string) {
		if s == "" {
			return
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
		if p < lo || p+uintptr(len(s)) > lo+uintptr(len(buf)) {
			t.Fatalf("string %q does not alias the input", s)
		}
	}
	labels := func(ls []Label) {
		for _, l := range ls {
			check(l.Name)
			check(l.Value)
		}
	}
	for _, ts := range r.Timeseries {
		labels(ts.Labels)
		for _, e := range ts.Exemplars {
			labels(e.Labels)
		}
		check(ts.Metadata.Help)
		check(ts.Metadata.Unit)
	}
	for _, m := range r.Metadata {
		check(m.Family)
		check(m.Help)
		check(m.Unit)
	}
}

// TestDecodeV1Reuse checks that a Decoder forgets the previous request,
// whatever its size, and that in steady state it does not allocate.
func TestDecodeV1Reuse(t *testing.T) {
	big, small := scrapeV1(2000), richV1()
	bigBuf, smallBuf := marshal(t, big), marshal(t, small)
	var d Decoder
	for _, want := range []*prompb.WriteRequest{big, small, big, small} {
		buf := smallBuf
		if want == big {
			buf = bigBuf
		}
		got, err := d.DecodeV1(buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := compareV1(got, want); err != nil {
			t.Fatal(err)
		}
	}
	for _, buf := range [][]byte{bigBuf, smallBuf} {
		if n := testing.AllocsPerRun(20, func() {
			if _, err := d.DecodeV1(buf); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("DecodeV1 of %d bytes allocates %v times, want 0", len(buf), n)
		}
	}
}

func TestMetricType(t *testing.T) {
	for name, v := range prompb.MetricMetadata_MetricType_value {
		mt := MetricType(v).ModelType()
		if v == 0 {
			if mt != "unknown" {
				t.Errorf("MetricType(%d).ModelType() = %q, want unknown", v, mt)
			}
			continue
		}
		if prompb.FromMetadataType(mt) != prompb.MetricMetadata_MetricType(v) {
			t.Errorf("MetricType(%d).ModelType() = %q, want the type of %s", v, mt, name)
		}
	}
	if mt := MetricType(42).ModelType(); mt != "unknown" {
		t.Errorf("MetricType(42).ModelType() = %q, want unknown", mt)
	}
}

// The helpers below encode messages by hand, for what the gogo types
// cannot express: field order, unknown fields, non-minimal encodings and
// malformed input.

// cat concatenates encoded fields.
func cat(parts ...[]byte) []byte {
	return slices.Concat(parts...)
}

// msg encodes field num holding the message made of parts.
func msg(num protowire.Number, parts ...[]byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), cat(parts...))
}

// str encodes the string field num.
func str(num protowire.Number, s string) []byte {
	return msg(num, []byte(s))
}

// uvarint encodes the varint field num.
func uvarint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// fixed64 encodes the fixed64 field num.
func fixed64(num protowire.Number, v uint64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(nil, num, protowire.Fixed64Type), v)
}

// group encodes the group field num holding parts.
func group(num protowire.Number, parts ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.StartGroupType)
	b = append(b, cat(parts...)...)
	return protowire.AppendTag(b, num, protowire.EndGroupType)
}

// tag encodes a tag alone.
func tag(num protowire.Number, typ protowire.Type) []byte {
	return protowire.AppendTag(nil, num, typ)
}
