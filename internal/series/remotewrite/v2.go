package remotewrite

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// DecodeV2 decodes a remote-write 2.0 io.prometheus.write.v2.Request from
// buf, which must already be snappy-decoded, and resolves its symbol
// references. The request and its strings alias d and buf: they are valid
// until the next decode with d, and only while buf is left unchanged.
// Every error means that buf is malformed.
//
// Besides the wire format, DecodeV2 checks what the specification requires
// of references: the symbols table starts with the empty string, every
// reference is inside the table, and label references come in pairs. A
// reference to symbol 0 is the empty string even when the table is empty,
// as it would be if the sender had sent the table the specification asks
// for. As protobuf prescribes for uint32 fields, a reference above 32 bits
// is truncated to its low 32 bits.
func (d *Decoder) DecodeV2(buf []byte) (*Request, error) {
	d.reset()
	// Fields may come in any order, so the symbols are read first.
	if err := d.symbolsV2(buf); err != nil {
		return nil, err
	}
	c := newCursor(buf, len(buf))
	for c.more() {
		if err := c.next(); err != nil {
			return nil, err
		}
		if c.num != 5 {
			if err := c.skip(); err != nil {
				return nil, err
			}
			continue
		}
		i := len(d.req.Timeseries)
		m, err := c.bytes("timeseries", i)
		if err != nil {
			return nil, err
		}
		if err := d.seriesV2(m, c.pos()); err != nil {
			return nil, within(err, "timeseries", i)
		}
	}
	return &d.req, nil
}

// symbolsV2 reads the symbols table of a request into d.symbols. It checks
// the framing of all the request's top-level fields, leaving to the second
// pass only the contents of the series.
func (d *Decoder) symbolsV2(buf []byte) error {
	c := newCursor(buf, len(buf))
	series, first := 0, 0
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		switch c.num {
		case 4:
			if len(d.symbols) == 0 {
				first = c.offset()
			}
			s, err := c.string("symbols", len(d.symbols))
			if err != nil {
				return err
			}
			d.symbols = append(d.symbols, s)
		case 5:
			if _, err := c.bytes("timeseries", series); err != nil {
				return err
			}
			series++
		default:
			if err := c.skip(); err != nil {
				return err
			}
		}
	}
	if len(d.symbols) > 0 && d.symbols[0] != "" {
		return &decodeError{path: "symbols[0]", reason: "not the empty string", offset: first}
	}
	return nil
}

// seriesV2 decodes the io.prometheus.write.v2.TimeSeries b, which ends at
// offset end of the input, into a new series.
func (d *Decoder) seriesV2(b []byte, end int) error {
	c := newCursor(b, end)
	ts, m := d.newSeries(), d.mark()
	refs := refPairs{labels: d.labels, symbols: d.symbols}
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		switch c.num {
		case 1:
			if err := c.labelRefs(&refs); err != nil {
				return err
			}
		case 2:
			i := len(d.samples) - m.samples
			sb, err := c.bytes("samples", i)
			if err != nil {
				return err
			}
			d.samples = append(d.samples, Sample{})
			if err := sample(sb, c.pos(), &d.samples[len(d.samples)-1], true); err != nil {
				return within(err, "samples", i)
			}
		case 3:
			i := len(d.histograms) - m.histograms
			hb, err := c.bytes("histograms", i)
			if err != nil {
				return err
			}
			d.histograms = append(d.histograms, Histogram{})
			if err := scanHistogram(hb, c.pos(), &d.histograms[len(d.histograms)-1], true); err != nil {
				return within(err, "histograms", i)
			}
		case 4:
			i := len(d.exemplars) - m.exemplars
			eb, err := c.bytes("exemplars", i)
			if err != nil {
				return err
			}
			d.exemplars = append(d.exemplars, Exemplar{})
			if err := d.exemplarV2(eb, c.pos(), &d.exemplars[len(d.exemplars)-1]); err != nil {
				return within(err, "exemplars", i)
			}
		case 5:
			// A message field that occurs more than once is merged, as
			// protobuf prescribes.
			mb, err := c.bytes("metadata", -1)
			if err != nil {
				return err
			}
			if err := d.metadataV2(mb, c.pos(), &ts.Metadata); err != nil {
				return within(err, "metadata", -1)
			}
		default:
			if err := c.skip(); err != nil {
				return err
			}
		}
	}
	d.labels = refs.labels
	if err := refs.check(&c); err != nil {
		return err
	}
	d.finish(ts, m)
	return nil
}

// exemplarV2 decodes the io.prometheus.write.v2.Exemplar b, which ends at
// offset end of the input, into e.
func (d *Decoder) exemplarV2(b []byte, end int, e *Exemplar) error {
	c := newCursor(b, end)
	lo := len(d.exemplarLabels)
	refs := refPairs{labels: d.exemplarLabels, symbols: d.symbols}
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch c.num {
		case 1:
			err = c.labelRefs(&refs)
		case 2:
			e.Value, err = c.double("value", -1)
		case 3:
			var v uint64
			v, err = c.varint("timestamp", -1)
			e.Timestamp = int64(v)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	d.exemplarLabels = refs.labels
	if err := refs.check(&c); err != nil {
		return err
	}
	hi := len(d.exemplarLabels)
	e.Labels = d.exemplarLabels[lo:hi:hi]
	return nil
}

// metadataV2 decodes the io.prometheus.write.v2.Metadata b, which ends at
// offset end of the input, into md, leaving alone the fields b does not
// hold.
func (d *Decoder) metadataV2(b []byte, end int, md *Metadata) error {
	c := newCursor(b, end)
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch c.num {
		case 1:
			var v uint64
			v, err = c.varint("type", -1)
			md.Type = MetricType(int32(v))
		case 3:
			md.Help, err = c.symbol("help_ref", d.symbols)
		case 4:
			md.Unit, err = c.symbol("unit_ref", d.symbols)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// symbol consumes a field holding a symbol reference and returns the
// symbol.
func (c *cursor) symbol(name string, symbols []string) (string, error) {
	v, err := c.varint(name, -1)
	if err != nil {
		return "", err
	}
	s, ok := lookup(symbols, v)
	if !ok {
		return "", c.fail(name, -1, refReason(v, symbols))
	}
	return s, nil
}

// refPairs turns label references into labels: each reference at an even
// position names a label, and the one after it gives the label's value.
type refPairs struct {
	labels  []Label // The labels so far, appended to the decoder's arena.
	symbols []string
	name    string // The name of the label whose value comes next.
	n       int    // The number of references so far.
}

// add adds the reference v, reporting false when it is out of range.
func (p *refPairs) add(v uint64) bool {
	s, ok := lookup(p.symbols, v)
	if !ok {
		return false
	}
	if p.n&1 == 0 {
		p.name = s
	} else {
		p.labels = append(p.labels, Label{Name: p.name, Value: s})
	}
	p.n++
	return true
}

// addPacked adds the packed references b, the bulk of a 2.0 request, in a
// loop kept tight with local copies. When a reference is truncated or out
// of range, it adds the references before it and returns its offset in b;
// otherwise it returns -1.
func (p *refPairs) addPacked(b []byte) int {
	labels, symbols, name, n := p.labels, p.symbols, p.name, p.n
	bad := -1
	for i := 0; i < len(b); {
		// References take one or two bytes unless the table holds more
		// than 16384 symbols.
		v, w := uint64(b[i]), 1
		if v >= 0x80 {
			if i+1 < len(b) && b[i+1] < 0x80 {
				v, w = v&0x7f|uint64(b[i+1])<<7, 2
			} else if v, w = protowire.ConsumeVarint(b[i:]); w < 0 {
				bad = i
				break
			}
		}
		ref := uint32(v)
		var s string
		if uint64(ref) < uint64(len(symbols)) {
			s = symbols[ref]
		} else if ref != 0 {
			bad = i
			break
		}
		if n&1 == 0 {
			name = s
		} else {
			labels = append(labels, Label{Name: name, Value: s})
		}
		n++
		i += w
	}
	p.labels, p.name, p.n = labels, name, n
	return bad
}

// check reports an error when the references of the message that c has
// read to its end do not come in pairs.
func (p *refPairs) check(c *cursor) error {
	if p.n&1 == 0 {
		return nil
	}
	return &decodeError{
		path:   "labels_refs",
		reason: "odd number of label references (" + strconv.Itoa(p.n) + ") in the message ending",
		offset: c.end,
	}
}

// labelRefs consumes a labels_refs field, packed or not, into p.
func (c *cursor) labelRefs(p *refPairs) error {
	const name = "labels_refs"
	switch c.typ {
	case protowire.VarintType:
		v, err := c.varint(name, p.n)
		if err != nil {
			return err
		}
		if !p.add(v) {
			return c.fail(name, p.n, refReason(v, p.symbols))
		}
	case protowire.BytesType:
		b, err := c.bytes(name, -1)
		if err != nil {
			return err
		}
		if i := p.addPacked(b); i >= 0 {
			// Decode the bad reference again, for the error.
			pc := cursor{b: b[i:], end: c.pos(), at: len(b) - i, typ: protowire.VarintType}
			v, err := pc.varint(name, p.n)
			if err != nil {
				return err
			}
			return pc.fail(name, p.n, refReason(v, p.symbols))
		}
	default:
		return c.fail(name, -1, "wire type "+typeName(c.typ)+", want varint or length-delimited")
	}
	return nil
}

// lookup returns the symbol that the uint32 field value v refers to.
// Reference 0 is the empty string even when the table is empty.
func lookup(symbols []string, v uint64) (string, bool) {
	ref := uint32(v)
	if uint64(ref) < uint64(len(symbols)) {
		return symbols[ref], true
	}
	return "", ref == 0
}

// refReason says why the field value v is not a valid symbol reference.
func refReason(v uint64, symbols []string) string {
	return "symbol reference " + strconv.FormatUint(uint64(uint32(v)), 10) +
		" out of range (" + strconv.Itoa(len(symbols)) + " symbols)"
}
