package remotewrite

// DecodeV1 decodes a remote-write 1.0 prometheus.WriteRequest from buf,
// which must already be snappy-decoded. The request and its strings alias
// d and buf: they are valid until the next decode with d, and only while
// buf is left unchanged. Every error means that buf is malformed.
func (d *Decoder) DecodeV1(buf []byte) (*Request, error) {
	d.reset()
	c := newCursor(buf, len(buf))
	for c.more() {
		if err := c.next(); err != nil {
			return nil, err
		}
		switch c.num {
		case 1:
			i := len(d.req.Timeseries)
			m, err := c.bytes("timeseries", i)
			if err != nil {
				return nil, err
			}
			if err := d.seriesV1(m, c.pos()); err != nil {
				return nil, within(err, "timeseries", i)
			}
		case 3:
			i := len(d.req.Metadata)
			m, err := c.bytes("metadata", i)
			if err != nil {
				return nil, err
			}
			d.req.Metadata = append(d.req.Metadata, Metadata{})
			if err := metadataV1(m, c.pos(), &d.req.Metadata[i]); err != nil {
				return nil, within(err, "metadata", i)
			}
		default:
			if err := c.skip(); err != nil {
				return nil, err
			}
		}
	}
	return &d.req, nil
}

// seriesV1 decodes the prometheus.TimeSeries b, which ends at offset end
// of the input, into a new series.
func (d *Decoder) seriesV1(b []byte, end int) error {
	c := newCursor(b, end)
	ts, m := d.newSeries(), d.mark()
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		switch c.num {
		case 1:
			i := len(d.labels) - m.labels
			lb, err := c.bytes("labels", i)
			if err != nil {
				return err
			}
			d.labels = append(d.labels, Label{})
			if err := labelV1(lb, c.pos(), &d.labels[len(d.labels)-1]); err != nil {
				return within(err, "labels", i)
			}
		case 2:
			i := len(d.samples) - m.samples
			sb, err := c.bytes("samples", i)
			if err != nil {
				return err
			}
			d.samples = append(d.samples, Sample{})
			if err := sample(sb, c.pos(), &d.samples[len(d.samples)-1], false); err != nil {
				return within(err, "samples", i)
			}
		case 3:
			i := len(d.exemplars) - m.exemplars
			eb, err := c.bytes("exemplars", i)
			if err != nil {
				return err
			}
			d.exemplars = append(d.exemplars, Exemplar{})
			if err := d.exemplarV1(eb, c.pos(), &d.exemplars[len(d.exemplars)-1]); err != nil {
				return within(err, "exemplars", i)
			}
		case 4:
			i := len(d.histograms) - m.histograms
			hb, err := c.bytes("histograms", i)
			if err != nil {
				return err
			}
			d.histograms = append(d.histograms, Histogram{})
			if err := scanHistogram(hb, c.pos(), &d.histograms[len(d.histograms)-1], false); err != nil {
				return within(err, "histograms", i)
			}
		default:
			if err := c.skip(); err != nil {
				return err
			}
		}
	}
	d.finish(ts, m)
	return nil
}

// labelV1 decodes the prometheus.Label b, which ends at offset end of the
// input, into l.
func labelV1(b []byte, end int, l *Label) error {
	// Senders encode a label as its name and then its value, and both are
	// almost always shorter than 128 bytes; such a label is decoded
	// directly, any other by the general loop.
	if len(b) >= 4 && b[0] == 1<<3|2 && b[1] < 0x80 {
		n := 2 + int(b[1]) // The offset of the tag of the value.
		if n+2 <= len(b) && b[n] == 2<<3|2 && b[n+1] < 0x80 && n+2+int(b[n+1]) == len(b) {
			l.Name, l.Value = alias(b[2:n]), alias(b[n+2:])
			return nil
		}
	}
	c := newCursor(b, end)
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch c.num {
		case 1:
			l.Name, err = c.string("name", -1)
		case 2:
			l.Value, err = c.string("value", -1)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// exemplarV1 decodes the prometheus.Exemplar b, which ends at offset end of
// the input, into e.
func (d *Decoder) exemplarV1(b []byte, end int, e *Exemplar) error {
	c := newCursor(b, end)
	lo := len(d.exemplarLabels)
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch c.num {
		case 1:
			i := len(d.exemplarLabels) - lo
			var lb []byte
			if lb, err = c.bytes("labels", i); err != nil {
				return err
			}
			d.exemplarLabels = append(d.exemplarLabels, Label{})
			if err := labelV1(lb, c.pos(), &d.exemplarLabels[len(d.exemplarLabels)-1]); err != nil {
				return within(err, "labels", i)
			}
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
	hi := len(d.exemplarLabels)
	e.Labels = d.exemplarLabels[lo:hi:hi]
	return nil
}

// metadataV1 decodes the prometheus.MetricMetadata b, which ends at offset
// end of the input, into md.
func metadataV1(b []byte, end int, md *Metadata) error {
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
		case 2:
			md.Family, err = c.string("metric_family_name", -1)
		case 4:
			md.Help, err = c.string("help", -1)
		case 5:
			md.Unit, err = c.string("unit", -1)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sample decodes the prometheus.Sample b, or with v2 the
// io.prometheus.write.v2.Sample b, which ends at offset end of the input,
// into s.
func sample(b []byte, end int, s *Sample, v2 bool) error {
	c := newCursor(b, end)
	for c.more() {
		if err := c.next(); err != nil {
			return err
		}
		var err error
		switch {
		case c.num == 1:
			s.Value, err = c.double("value", -1)
		case c.num == 2:
			var v uint64
			v, err = c.varint("timestamp", -1)
			s.Timestamp = int64(v)
		case c.num == 3 && v2:
			var v uint64
			v, err = c.varint("start_timestamp", -1)
			s.StartTimestamp = int64(v)
		default:
			err = c.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}
