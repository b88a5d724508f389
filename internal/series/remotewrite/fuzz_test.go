package remotewrite

import "testing"

// The fuzz tests hold the decoder to the gogo-generated code of Prometheus
// on any input, as checkV1 and checkV2 describe: no panic, no input that
// gogo rejects accepted, and the same contents when both accept. The
// decoder is stricter than gogo, on purpose, about input that gogo
// tolerates although it is malformed:
//   - a varint whose tenth byte holds bits beyond the 64th, which gogo
//     drops;
//   - a tag whose field number does not fit in 31 bits, which gogo
//     truncates, possibly to the number of a known field;
//   - a packed run whose last varint, or fixed64 value, ends past the run,
//     where gogo reads on into the next field;
//   - in unknown fields, an end group that does not match its start group
//     and groups nested more than maxGroupDepth deep, where gogo only
//     counts the depth.
// checkV1 and checkV2 make sure that these are the only differences: if
// gogo accepts an input, the decoder must accept gogo's canonical encoding
// of what it decoded. In 2.0, the decoder also rejects what gogo leaves to
// its caller, references that break the rules of the specification.
//
// The seed corpora in testdata/fuzz hold the requests of the table tests
// and a few malformed ones.

func FuzzDecodeV1(f *testing.F) {
	var d Decoder
	f.Fuzz(func(t *testing.T, b []byte) {
		checkV1(t, &d, b)
	})
}

func FuzzDecodeV2(f *testing.F) {
	var d Decoder
	f.Fuzz(func(t *testing.T, b []byte) {
		checkV2(t, &d, b)
	})
}
