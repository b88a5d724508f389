package remotewrite

import (
	"slices"
	"testing"

	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// withUnknownV2 returns a copy of r with unknown fields in every message.
func withUnknownV2(r *writev2.Request) *writev2.Request {
	u := unknownFields()
	out := &writev2.Request{Symbols: r.Symbols, XXX_unrecognized: u}
	for _, ts := range r.Timeseries {
		ts.XXX_unrecognized = u
		ts.Metadata.XXX_unrecognized = u
		ts.Samples = slices.Clone(ts.Samples)
		for i := range ts.Samples {
			ts.Samples[i].XXX_unrecognized = u
		}
		ts.Exemplars = slices.Clone(ts.Exemplars)
		for i := range ts.Exemplars {
			ts.Exemplars[i].XXX_unrecognized = u
		}
		ts.Histograms = slices.Clone(ts.Histograms)
		for i := range ts.Histograms {
			ts.Histograms[i].XXX_unrecognized = u
		}
		out.Timeseries = append(out.Timeseries, ts)
	}
	return out
}

// packed encodes the packed varints field num.
func packed(num protowire.Number, vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, v)
	}
	return msg(num, b)
}

func TestDecodeV2(t *testing.T) {
	symbols := cat(str(4, ""), str(4, "__name__"), str(4, "up"), str(4, "job"), str(4, "api"), str(4, "help"))
	upAPI := []uint32{1, 2, 3, 4}

	tests := []struct {
		name string
		req  *writev2.Request
		buf  []byte // The encoding of req, when not req.Marshal().
	}{
		{name: "empty", req: &writev2.Request{}},
		{name: "scrape", req: scrapeV2(50)},
		{name: "every field", req: richV2()},
		{name: "unknown fields everywhere", req: withUnknownV2(richV2())},
		{
			// A 1.0 request decodes as an empty 2.0 one: its fields are
			// reserved in 2.0.
			name: "1.0 request",
			req:  &writev2.Request{},
			buf:  marshal(t, richV1()),
		},
		{
			name: "symbols after series",
			req: &writev2.Request{
				Symbols:    []string{"", "__name__", "up", "job", "api", "help"},
				Timeseries: []writev2.TimeSeries{{LabelsRefs: upAPI, Samples: []writev2.Sample{{Value: 1, Timestamp: 2}}}},
			},
			buf: cat(
				str(4, ""), str(4, "__name__"),
				msg(5, packed(1, 1, 2, 3, 4), msg(2, fixed64(1, 0x3ff0000000000000), uvarint(2, 2))),
				str(4, "up"), str(4, "job"), str(4, "api"), str(4, "help"),
			),
		},
		{
			name: "unpacked label references",
			req: &writev2.Request{
				Symbols:    []string{"", "__name__", "up", "job", "api", "help"},
				Timeseries: []writev2.TimeSeries{{LabelsRefs: upAPI}},
			},
			buf: cat(symbols, msg(5, uvarint(1, 1), uvarint(1, 2), uvarint(1, 3), uvarint(1, 4))),
		},
		{
			// Packed runs concatenate, even when a label is split over two
			// and other fields come between.
			name: "split label references",
			req: &writev2.Request{
				Symbols:    []string{"", "__name__", "up", "job", "api", "help"},
				Timeseries: []writev2.TimeSeries{{LabelsRefs: upAPI, Samples: []writev2.Sample{{Timestamp: 5}}}},
			},
			buf: cat(symbols, msg(5, packed(1, 1), packed(1, 2, 3), msg(2, uvarint(2, 5)), packed(1), uvarint(1, 4))),
		},
		{
			// A message field sent twice merges field by field.
			name: "metadata merged",
			req: &writev2.Request{
				Symbols:    []string{"", "__name__", "up", "job", "api", "help"},
				Timeseries: []writev2.TimeSeries{{Metadata: writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_GAUGE, HelpRef: 5, UnitRef: 4}}},
			},
			buf: cat(symbols, msg(5, msg(5, uvarint(1, 2), uvarint(3, 3)), msg(5, uvarint(4, 4)), msg(5, uvarint(3, 5)))),
		},
		{
			// Reference 0 is the empty string, which the specification
			// requires as the first symbol, even if the sender left it out.
			name: "no symbols",
			req:  &writev2.Request{Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{0, 0}, Samples: []writev2.Sample{{Value: 1}}}}},
		},
		{
			// A uint32 field keeps the low 32 bits of a larger varint.
			name: "references above 32 bits",
			req: &writev2.Request{
				Symbols:    []string{"", "__name__", "up", "job", "api", "help"},
				Timeseries: []writev2.TimeSeries{{LabelsRefs: upAPI, Metadata: writev2.Metadata{HelpRef: 5}}},
			},
			buf: cat(symbols, msg(5, packed(1, 1<<32|1, 1<<40|2, 3, 1<<63|4), msg(5, uvarint(3, 1<<33|5)))),
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
				if err := checkV2(t, d, buf); err != nil {
					t.Fatalf("DecodeV2: %v", err)
				}
				got, err := d.DecodeV2(buf)
				if err != nil {
					t.Fatal(err)
				}
				if err := compareV2(got, tt.req); err != nil {
					t.Fatal(err)
				}
				assertAliases(t, got, buf)
			}
		})
	}
}

// TestDecodeV2Reuse checks that a Decoder forgets the previous request,
// whatever its size, and that in steady state it does not allocate.
func TestDecodeV2Reuse(t *testing.T) {
	big, small := scrapeV2(2000), richV2()
	bigBuf, smallBuf := marshal(t, big), marshal(t, small)
	var d Decoder
	for _, want := range []*writev2.Request{big, small, big, small} {
		buf := smallBuf
		if want == big {
			buf = bigBuf
		}
		got, err := d.DecodeV2(buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := compareV2(got, want); err != nil {
			t.Fatal(err)
		}
	}
	for _, buf := range [][]byte{bigBuf, smallBuf} {
		if n := testing.AllocsPerRun(20, func() {
			if _, err := d.DecodeV2(buf); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("DecodeV2 of %d bytes allocates %v times, want 0", len(buf), n)
		}
	}
}
