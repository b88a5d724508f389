package remotewrite

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestTruncated cuts valid requests at every byte. A request has no length
// of its own, so a cut between two of its top-level fields leaves a valid
// request holding the fields before the cut; that must decode, as it does
// with gogo, and hold exactly those fields. A cut anywhere else must fail
// with an error located at or before the cut.
func TestTruncated(t *testing.T) {
	tests := []struct {
		name   string
		v2     bool
		buf    []byte
		series int
	}{
		{name: "1.0 every field", buf: marshal(t, withUnknownV1(richV1()))},
		{name: "1.0 scrape", buf: marshal(t, scrapeV1(5))},
		{name: "2.0 every field", v2: true, buf: marshal(t, withUnknownV2(richV2()))},
		{name: "2.0 scrape", v2: true, buf: marshal(t, scrapeV2(5))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			series := topLevel(t, tt.buf)
			var d Decoder
			for k := range len(tt.buf) {
				cut := tt.buf[:k]
				var err error
				if tt.v2 {
					err = checkV2(t, &d, cut)
				} else {
					err = checkV1(t, &d, cut)
				}
				n, boundary := series[k]
				switch {
				case boundary && err != nil:
					t.Fatalf("cut at %d, between fields: %v", k, err)
				case boundary && len(d.req.Timeseries) != n:
					t.Fatalf("cut at %d, between fields: %d series, want the %d before the cut", k, len(d.req.Timeseries), n)
				case !boundary && err == nil:
					t.Fatalf("cut at %d, inside a field: decoded without error", k)
				case !boundary && errorOffset(t, err) > k:
					t.Fatalf("cut at %d: error %q is located after the cut", k, err)
				}
			}
		})
	}
}

// topLevel returns, for each offset of buf that starts one of its
// top-level fields, the number of series before it.
func topLevel(t *testing.T, buf []byte) map[int]int {
	t.Helper()
	series := map[int]int{}
	n := 0
	for off := 0; off < len(buf); {
		series[off] = n
		num, typ, m := protowire.ConsumeTag(buf[off:])
		if m < 0 {
			t.Fatal(protowire.ParseError(m))
		}
		l := protowire.ConsumeFieldValue(num, typ, buf[off+m:])
		if l < 0 {
			t.Fatal(protowire.ParseError(l))
		}
		if num == 1 || num == 5 {
			n++ // Series are field 1 in 1.0, 5 in 2.0, and not both in one request.
		}
		off += m + l
	}
	return series
}

// errorOffset returns the offset at which err locates the problem.
func errorOffset(t *testing.T, err error) int {
	t.Helper()
	var e *decodeError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *decodeError", err, err)
	}
	return e.offset
}

// nested returns n groups of field 9 nested in each other.
func nested(n int) []byte {
	start, end := tag(9, protowire.StartGroupType), tag(9, protowire.EndGroupType)
	return cat(bytes.Repeat(start, n), bytes.Repeat(end, n))
}

func TestMalformedV1(t *testing.T) {
	label := msg(1, str(1, "a"), str(2, "b"))
	sample := msg(2, fixed64(1, 0), uvarint(2, 1))
	tests := []struct {
		name string
		buf  []byte
		want string
	}{
		{"truncated tag", []byte{0x80}, "truncated tag at byte 0"},
		{"tag overflow", bytes.Repeat([]byte{0xff}, 11), "tag overflows 64 bits at byte 0"},
		{"field number 0", []byte{0x02, 0x00}, "invalid field number 0 at byte 0"},
		{"field number too large", protowire.AppendVarint(nil, 1<<40|2), "field number 137438953472 out of range at byte 0"},
		{"truncated length", []byte{0x0a}, "timeseries[0]: truncated length at byte 0"},
		{"length past the end", []byte{0x0a, 0x05, 0x0a}, "timeseries[0]: length 5 exceeds the 1 remaining bytes at byte 0"},
		{"huge length", cat(tag(1, protowire.BytesType), protowire.AppendVarint(nil, 1<<62)), "timeseries[0]: length 4611686018427387904 exceeds the 0 remaining bytes at byte 0"},
		{"length overflow", cat(tag(3, protowire.BytesType), bytes.Repeat([]byte{0xff}, 10), []byte{1}), "metadata[0]: length overflows 64 bits at byte 0"},
		{"series as varint", uvarint(1, 3), "timeseries[0]: wire type varint, want length-delimited at byte 0"},
		{"series as group", group(1), "timeseries[0]: wire type start group, want length-delimited at byte 0"},
		{
			"label as varint",
			cat(msg(1, label, sample), msg(1, label, uvarint(1, 1))),
			"timeseries[1].labels[1]: wire type varint, want length-delimited at byte 33",
		},
		{
			"value truncated",
			cat(msg(1, label, label, []byte{0x0a, 0x03, 0x12, 0x05, 'x'})),
			"timeseries[0].labels[2].value: length 5 exceeds the 1 remaining bytes at byte 20",
		},
		{"name as fixed64", msg(1, msg(1, fixed64(1, 0))), "timeseries[0].labels[0].name: wire type fixed64, want length-delimited at byte 4"},
		{
			"sample value as fixed32",
			msg(1, msg(2, protowire.AppendFixed32(tag(1, protowire.Fixed32Type), 0))),
			"timeseries[0].samples[0].value: wire type fixed32, want fixed64 at byte 4",
		},
		{"sample value truncated", msg(1, msg(2, tag(1, protowire.Fixed64Type), []byte{1, 2, 3})), "timeseries[0].samples[0].value: truncated fixed64 at byte 4"},
		{"timestamp truncated", msg(1, sample, msg(2, []byte{0x10, 0x80})), "timeseries[0].samples[1].timestamp: truncated varint at byte 17"},
		{"timestamp overflow", msg(1, msg(2, tag(2, protowire.VarintType), bytes.Repeat([]byte{0xff}, 9), []byte{0x02})), "timeseries[0].samples[0].timestamp: varint overflows 64 bits at byte 4"},
		{"exemplar label truncated", msg(1, msg(3, msg(1, []byte{0x0a}))), "timeseries[0].exemplars[0].labels[0].name: truncated length at byte 6"},
		{"metadata type as bytes", msg(3, str(1, "counter")), "metadata[0].type: wire type length-delimited, want varint at byte 2"},
		{"unterminated group", cat(msg(1, label), tag(7, protowire.StartGroupType), uvarint(1, 1)), "unknown field 7: group does not end at byte 10"},
		{"mismatched group", cat(tag(7, protowire.StartGroupType), tag(8, protowire.EndGroupType)), "unknown field 8: end group in the group of field 7 at byte 1"},
		{"stray end group", msg(1, msg(1, tag(7, protowire.EndGroupType))), "timeseries[0].labels[0]: unknown field 7: end group without a start group at byte 4"},
		{"reserved wire type", []byte{0x16}, "unknown field 2: reserved wire type 6 at byte 0"},
		{"deep groups", nested(20_000), "unknown field 9: groups nested more than 100 deep at byte 100"},
		{
			"histogram span as varint",
			msg(1, msg(4, msg(11, uvarint(1, 2)), uvarint(11, 1))),
			"timeseries[0].histograms[0].positive_spans[1]: wire type varint, want length-delimited at byte 8",
		},
		{
			"histogram span length truncated",
			msg(1, msg(4, msg(8, []byte{0x10}))),
			"timeseries[0].histograms[0].negative_spans[0].length: truncated varint at byte 6",
		},
		{
			"histogram packed doubles",
			msg(1, msg(4, fixed64(13, 0), msg(13, make([]byte, 12)))),
			"timeseries[0].histograms[0].positive_counts[2]: truncated fixed64 at byte 23",
		},
		{
			"histogram packed varint truncated",
			msg(1, msg(4, msg(9, []byte{0x01, 0x80}))),
			"timeseries[0].histograms[0].negative_deltas[1]: truncated varint at byte 7",
		},
		{
			"histogram count as fixed32",
			msg(1, msg(4, protowire.AppendFixed32(tag(1, protowire.Fixed32Type), 0))),
			"timeseries[0].histograms[0].count_int: wire type fixed32, want varint at byte 4",
		},
		{
			"histogram deltas as fixed64",
			msg(1, msg(4, fixed64(12, 0))),
			"timeseries[0].histograms[0].positive_deltas[0]: wire type fixed64, want varint or length-delimited at byte 4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			err := checkV1(t, &d, tt.buf)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("DecodeV1(%q) = %v, want %s", tt.buf, err, tt.want)
			}
		})
	}
}

func TestMalformedV2(t *testing.T) {
	symbols := cat(str(4, ""), str(4, "__name__"), str(4, "up"))
	tests := []struct {
		name string
		buf  []byte
		want string
	}{
		{"first symbol not empty", cat(str(4, "x"), str(4, "")), "symbols[0]: not the empty string at byte 0"},
		{"symbol truncated", cat(str(4, ""), []byte{0x22, 0x03, 'a'}), "symbols[1]: length 3 exceeds the 1 remaining bytes at byte 2"},
		{"symbol as varint", uvarint(4, 0), "symbols[0]: wire type varint, want length-delimited at byte 0"},
		{"series framing checked first", cat(msg(5, packed(1, 1, 2)), []byte{0x2a, 0x09}), "timeseries[1]: length 9 exceeds the 0 remaining bytes at byte 6"},
		{"label reference out of range", cat(symbols, msg(5, packed(1, 1, 2, 3, 1))), "timeseries[0].labels_refs[2]: symbol reference 3 out of range (3 symbols) at byte 22"},
		{"unpacked reference out of range", cat(symbols, msg(5, uvarint(1, 1), uvarint(1, 7))), "timeseries[0].labels_refs[1]: symbol reference 7 out of range (3 symbols) at byte 20"},
		{"reference out of range after truncation", cat(symbols, msg(5, packed(1, 1<<32|3, 1))), "timeseries[0].labels_refs[0]: symbol reference 3 out of range (3 symbols) at byte 20"},
		{"no symbols", msg(5, packed(1, 1, 0)), "timeseries[0].labels_refs[0]: symbol reference 1 out of range (0 symbols) at byte 4"},
		{"odd label references", cat(symbols, msg(5, packed(1, 1, 2, 1))), "timeseries[0].labels_refs: odd number of label references (3) in the message ending at byte 23"},
		{"odd split references", cat(symbols, msg(5, packed(1, 1), msg(2), packed(1, 2, 1))), "timeseries[0].labels_refs: odd number of label references (3) in the message ending at byte 27"},
		{"references as fixed64", cat(symbols, msg(5, fixed64(1, 1))), "timeseries[0].labels_refs: wire type fixed64, want varint or length-delimited at byte 18"},
		{"packed reference truncated", cat(symbols, msg(5, packed(1, 1), msg(1, []byte{0x02, 0x80}))), "timeseries[0].labels_refs[2]: truncated varint at byte 24"},
		{"exemplar reference out of range", cat(symbols, msg(5, msg(4, packed(1, 1, 5)))), "timeseries[0].exemplars[0].labels_refs[1]: symbol reference 5 out of range (3 symbols) at byte 23"},
		{"odd exemplar references", cat(symbols, msg(5, msg(4, packed(1, 1)))), "timeseries[0].exemplars[0].labels_refs: odd number of label references (1) in the message ending at byte 23"},
		{"help out of range", cat(symbols, msg(5, msg(5, uvarint(3, 3)))), "timeseries[0].metadata.help_ref: symbol reference 3 out of range (3 symbols) at byte 20"},
		{"unit out of range", cat(symbols, msg(5, msg(5, uvarint(4, 1<<32|9)))), "timeseries[0].metadata.unit_ref: symbol reference 9 out of range (3 symbols) at byte 20"},
		{"start timestamp as fixed64", cat(symbols, msg(5, msg(2, fixed64(3, 0)))), "timeseries[0].samples[0].start_timestamp: wire type fixed64, want varint at byte 20"},
		{"histogram start timestamp truncated", cat(symbols, msg(5, msg(3, []byte{0x88, 0x01}))), "timeseries[0].histograms[0].start_timestamp: truncated varint at byte 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			err := checkV2(t, &d, tt.buf)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("DecodeV2(%q) = %v, want %s", tt.buf, err, tt.want)
			}
		})
	}
}

// TestErrorAfterReuse checks that a failed decode leaves the Decoder fit
// for the next request.
func TestErrorAfterReuse(t *testing.T) {
	good := marshal(t, richV1())
	var d Decoder
	if _, err := d.DecodeV1(good[:len(good)-1]); err == nil {
		t.Fatal("DecodeV1 accepted a truncated request")
	}
	if _, err := d.DecodeV2(cat(str(4, ""), msg(5, packed(1, 9)))); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("DecodeV2 = %v, want an error about a reference out of range", err)
	}
	got, err := d.DecodeV1(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareV1(got, richV1()); err != nil {
		t.Fatal(err)
	}
}

// TestStricterThanGogo pins down the malformed input that gogo accepts and
// the decoder rejects, as the fuzz tests document.
func TestStricterThanGogo(t *testing.T) {
	overflow := cat(bytes.Repeat([]byte{0xff}, 9), []byte{0x7f})
	symbols := cat(str(4, ""), str(4, "a"))
	tests := []struct {
		name string
		v2   bool
		buf  []byte
		want string
	}{
		{
			name: "varint beyond 64 bits",
			buf:  msg(1, msg(2, tag(2, protowire.VarintType), overflow)),
			want: "timeseries[0].samples[0].timestamp: varint overflows 64 bits at byte 4",
		},
		{
			name: "field number beyond 31 bits",
			buf:  cat(protowire.AppendVarint(nil, 1<<35|1<<3|uint64(protowire.BytesType)), []byte{0}),
			want: "field number 4294967297 out of range at byte 0",
		},
		{
			name: "packed varint past its run",
			v2:   true,
			// Gogo takes the byte after the run for the end of the varint.
			buf:  cat(symbols, msg(5, []byte{0x0a, 0x02, 0x01, 0x81, 0x00}, msg(2))),
			want: "timeseries[0].labels_refs[1]: truncated varint at byte 10",
		},
		{
			name: "packed doubles past their run",
			// Gogo takes the 4 bytes after the run for the end of the value.
			buf:  msg(1, msg(4, msg(16, make([]byte, 4)), make([]byte, 4))),
			want: "timeseries[0].histograms[0].custom_values[0]: truncated fixed64 at byte 7",
		},
		{
			name: "mismatched end group",
			buf:  cat(tag(7, protowire.StartGroupType), tag(8, protowire.EndGroupType)),
			want: "unknown field 8: end group in the group of field 7 at byte 1",
		},
		{
			name: "groups nested too deep",
			v2:   true,
			buf:  nested(maxGroupDepth + 1),
			want: "unknown field 9: groups nested more than 100 deep at byte 100",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			var err, gogoErr error
			if tt.v2 {
				err = checkV2(t, &d, tt.buf)
				gogoErr = new(writev2.Request).Unmarshal(tt.buf)
			} else {
				err = checkV1(t, &d, tt.buf)
				gogoErr = new(prompb.WriteRequest).Unmarshal(tt.buf)
			}
			if gogoErr != nil {
				t.Errorf("gogo rejects the input (%v), want it accepted", gogoErr)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("decode = %v, want %s", err, tt.want)
			}
		})
	}
}
