package remotewrite

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// AppendSeriesV1 appends one series as a field of a remote-write 1.0
// WriteRequest to b and returns the extended buffer; concatenating such
// fields makes a whole request. It is for Vigil's own senders: the ingest
// benchmark and end-to-end tests. Labels must be sorted by name.
func AppendSeriesV1(b []byte, labels []Label, samples []Sample) []byte {
	size := 0
	for _, l := range labels {
		size += sizeBytesField(1, sizeLabel(l))
	}
	for _, s := range samples {
		size += sizeBytesField(2, sizeSample(s))
	}
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	for _, l := range labels {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sizeLabel(l)))
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, l.Name)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, l.Value)
	}
	for _, s := range samples {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sizeSample(s)))
		b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(s.Value))
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(s.Timestamp))
	}
	return b
}

func sizeLabel(l Label) int {
	return sizeBytesField(1, len(l.Name)) + sizeBytesField(2, len(l.Value))
}

func sizeSample(s Sample) int {
	return protowire.SizeTag(1) + protowire.SizeFixed64() + protowire.SizeTag(2) + protowire.SizeVarint(uint64(s.Timestamp))
}

func sizeBytesField(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}
