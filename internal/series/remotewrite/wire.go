package remotewrite

import (
	"io"
	"math"
	"strconv"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// cursor walks the fields of one encoded message. Its accessors check the
// wire type of the current field, consume its value and, on failure,
// return a *decodeError that names the field and its byte offset in the
// input. They take a short path for the one-byte tags, lengths and varints
// that make up most of a request, and leave the rest, errors included, to
// functions off that path.
//
// A cursor is built by the function that decodes its message, from the
// message's bytes and end offset: copying one from function to function
// costs more than the decoding of a label.
type cursor struct {
	b   []byte           // The unread rest of the message.
	end int              // The offset in the input of the end of the message.
	at  int              // len(b) before the tag of the current field.
	num protowire.Number // The number of the current field.
	typ protowire.Type   // The wire type of the current field.
}

// newCursor returns a cursor over the message b, which ends at offset end
// of the input.
func newCursor(b []byte, end int) cursor {
	return cursor{b: b, end: end}
}

// more reports whether fields are left.
func (c *cursor) more() bool {
	return len(c.b) > 0
}

// offset returns the offset in the input of the current field's tag.
func (c *cursor) offset() int {
	return c.end - c.at
}

// next reads the tag of the next field.
func (c *cursor) next() error {
	c.at = len(c.b)
	if len(c.b) > 0 && c.b[0] < 0x80 && c.b[0] >= 8 {
		c.num, c.typ = protowire.Number(c.b[0]>>3), protowire.Type(c.b[0]&7)
		c.b = c.b[1:]
		return nil
	}
	return c.nextSlow()
}

// nextSlow is next for a tag of several bytes or an invalid one.
func (c *cursor) nextSlow() error {
	num, typ, n := protowire.ConsumeTag(c.b)
	if n < 0 {
		return c.tagError()
	}
	c.num, c.typ, c.b = num, typ, c.b[n:]
	return nil
}

// varint consumes the value of a varint field.
func (c *cursor) varint(name string, i int) (uint64, error) {
	if c.typ != protowire.VarintType {
		return 0, c.wrongType(name, i, protowire.VarintType)
	}
	if len(c.b) > 0 && c.b[0] < 0x80 {
		v := uint64(c.b[0])
		c.b = c.b[1:]
		return v, nil
	}
	v, n := protowire.ConsumeVarint(c.b)
	if n < 0 {
		return 0, c.valueError(name, i)
	}
	c.b = c.b[n:]
	return v, nil
}

// fixed64 consumes the value of a fixed64 field.
func (c *cursor) fixed64(name string, i int) (uint64, error) {
	if c.typ != protowire.Fixed64Type {
		return 0, c.wrongType(name, i, protowire.Fixed64Type)
	}
	v, n := protowire.ConsumeFixed64(c.b)
	if n < 0 {
		return 0, c.valueError(name, i)
	}
	c.b = c.b[n:]
	return v, nil
}

// double consumes the value of a double field.
func (c *cursor) double(name string, i int) (float64, error) {
	v, err := c.fixed64(name, i)
	return math.Float64frombits(v), err
}

// bytes consumes the value of a length-delimited field.
func (c *cursor) bytes(name string, i int) ([]byte, error) {
	if c.typ == protowire.BytesType && len(c.b) > 0 && int(c.b[0]) < min(len(c.b), 0x80) {
		n := int(c.b[0]) + 1
		v := c.b[1:n:n]
		c.b = c.b[n:]
		return v, nil
	}
	return c.bytesSlow(name, i)
}

// bytesSlow is bytes for a length of several bytes or an invalid field.
func (c *cursor) bytesSlow(name string, i int) ([]byte, error) {
	if c.typ != protowire.BytesType {
		return nil, c.wrongType(name, i, protowire.BytesType)
	}
	v, n := protowire.ConsumeBytes(c.b)
	if n < 0 {
		return nil, c.valueError(name, i)
	}
	c.b = c.b[n:]
	return v[:len(v):len(v)], nil
}

// string consumes the value of a string field. The string aliases the
// input; its bytes are not checked to be UTF-8.
func (c *cursor) string(name string, i int) (string, error) {
	v, err := c.bytes(name, i)
	return alias(v), err
}

// alias returns the bytes of b as a string that shares b's memory.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// pos returns the offset in the input of the rest of the message, which
// is the end of the value of a field just consumed.
func (c *cursor) pos() int {
	return c.end - len(c.b)
}

// maxGroupDepth bounds the nesting of the groups in unknown fields, which
// are skipped recursively. It is the default limit of the C++ protobuf
// library; remote-write messages hold no groups at all.
const maxGroupDepth = 100

// skip consumes the value of a field the decoder does not know, checking
// that it is well formed whatever its wire type.
func (c *cursor) skip() error {
	return c.skipDepth(0)
}

// skipDepth is skip within depth groups.
func (c *cursor) skipDepth(depth int) error {
	var n int
	switch c.typ {
	case protowire.VarintType:
		_, n = protowire.ConsumeVarint(c.b)
	case protowire.Fixed32Type:
		_, n = protowire.ConsumeFixed32(c.b)
	case protowire.Fixed64Type:
		_, n = protowire.ConsumeFixed64(c.b)
	case protowire.BytesType:
		_, n = protowire.ConsumeBytes(c.b)
	case protowire.StartGroupType:
		return c.skipGroup(depth)
	case protowire.EndGroupType:
		return c.unknown("end group without a start group")
	default:
		return c.unknown("reserved wire type " + strconv.Itoa(int(c.typ)))
	}
	if n < 0 {
		return c.unknown(valueReason(c.typ, c.b))
	}
	c.b = c.b[n:]
	return nil
}

// skipGroup consumes the fields of the group that the current field
// starts, up to the matching end group, within depth other groups.
func (c *cursor) skipGroup(depth int) error {
	if depth >= maxGroupDepth {
		return c.unknown("groups nested more than " + strconv.Itoa(maxGroupDepth) + " deep")
	}
	num, at := c.num, c.at
	for {
		if !c.more() {
			c.num, c.at = num, at
			return c.unknown("group does not end")
		}
		if err := c.next(); err != nil {
			return err
		}
		if c.typ == protowire.EndGroupType {
			if c.num != num {
				return c.unknown("end group in the group of field " + strconv.Itoa(int(num)))
			}
			return nil
		}
		if err := c.skipDepth(depth + 1); err != nil {
			return err
		}
	}
}

// fail returns an error about the current field, which is element i of the
// repeated field name, or name itself when i is negative, or the message
// itself when name is empty.
func (c *cursor) fail(name string, i int, reason string) error {
	return &decodeError{path: element(name, i), reason: reason, offset: c.offset()}
}

// unknown returns an error about the current field, one the decoder does
// not know.
func (c *cursor) unknown(reason string) error {
	return c.fail("", -1, "unknown field "+strconv.Itoa(int(c.num))+": "+reason)
}

// tagError explains why the tag at the cursor is invalid.
func (c *cursor) tagError() error {
	v, n := protowire.ConsumeVarint(c.b)
	switch {
	case truncated(n):
		return c.fail("", -1, "truncated tag")
	case n < 0:
		return c.fail("", -1, "tag overflows 64 bits")
	case v>>3 == 0:
		return c.fail("", -1, "invalid field number 0")
	default:
		return c.fail("", -1, "field number "+strconv.FormatUint(v>>3, 10)+" out of range")
	}
}

// wrongType reports that the current field does not have wire type want.
func (c *cursor) wrongType(name string, i int, want protowire.Type) error {
	return c.fail(name, i, "wire type "+typeName(c.typ)+", want "+typeName(want))
}

// valueError explains why the value of the current field, of wire type
// c.typ, is invalid.
func (c *cursor) valueError(name string, i int) error {
	return c.fail(name, i, valueReason(c.typ, c.b))
}

// valueReason explains why b does not start with a valid value of wire
// type typ.
func valueReason(typ protowire.Type, b []byte) string {
	v, n := protowire.ConsumeVarint(b)
	switch {
	case typ == protowire.Fixed32Type:
		return "truncated fixed32"
	case typ == protowire.Fixed64Type:
		return "truncated fixed64"
	case typ == protowire.VarintType && truncated(n):
		return "truncated varint"
	case typ == protowire.VarintType:
		return "varint overflows 64 bits"
	case truncated(n):
		return "truncated length"
	case n < 0:
		return "length overflows 64 bits"
	default:
		return "length " + strconv.FormatUint(v, 10) + " exceeds the " +
			strconv.Itoa(len(b)-n) + " remaining bytes"
	}
}

// truncated reports whether the protowire error code n means the input
// ended early.
func truncated(n int) bool {
	return protowire.ParseError(n) == io.ErrUnexpectedEOF
}

// typeName returns the name of a wire type for error messages.
func typeName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "length-delimited"
	case protowire.StartGroupType:
		return "start group"
	case protowire.EndGroupType:
		return "end group"
	case protowire.Fixed32Type:
		return "fixed32"
	default:
		return "reserved " + strconv.Itoa(int(t))
	}
}

// decodeError reports malformed input: the element, what is wrong with it
// and the offset in the input where the problem was found.
type decodeError struct {
	path   string
	reason string
	offset int
}

func (e *decodeError) Error() string {
	s := e.reason + " at byte " + strconv.Itoa(e.offset)
	if e.path == "" {
		return s
	}
	return e.path + ": " + s
}

// within adds to the path of err, a *decodeError returned by the decoding
// of an embedded message, the field that holds the message.
func within(err error, name string, i int) error {
	if e, ok := err.(*decodeError); ok {
		if e.path == "" {
			e.path = element(name, i)
		} else {
			e.path = element(name, i) + "." + e.path
		}
	}
	return err
}

// element names element i of the repeated field name, or name itself when
// i is negative.
func element(name string, i int) string {
	if i < 0 || name == "" {
		return name
	}
	return name + "[" + strconv.Itoa(i) + "]"
}
