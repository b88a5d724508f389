package remotewrite

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// This file checks decoded requests against what the gogo-generated code
// of Prometheus makes of the same bytes, the reference the decoder must
// agree with.

// checkV1 decodes b with d and with prompb.WriteRequest.Unmarshal and fails
// t when they disagree: when gogo rejects b, d must reject it too; when both
// accept it, they must decode the same request; and when gogo accepts b,
// d must accept the canonical encoding of gogo's request, since any input
// d rejects that gogo accepts must be malformed in a way gogo overlooks.
// It returns d's error.
func checkV1(t *testing.T, d *Decoder, b []byte) error {
	t.Helper()
	got, err := d.DecodeV1(b)
	checkError(t, err, b)
	var want prompb.WriteRequest
	wantErr := want.Unmarshal(b)
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("DecodeV1 accepts what gogo rejects (%v):\n%q", wantErr, short(b))
	case wantErr != nil:
		return err
	case err == nil:
		if diff := compareV1(got, &want); diff != nil {
			t.Fatalf("DecodeV1 differs from gogo: %v\ninput: %q", diff, short(b))
		}
	}
	clearUnrecognized(&want)
	canon, merr := want.Marshal()
	if merr != nil {
		t.Fatalf("marshal gogo request: %v", merr)
	}
	// The canonical encoding may lose what the input had, such as the
	// sign of a zero, so it is compared to gogo's decoding of itself.
	want = prompb.WriteRequest{}
	if err := want.Unmarshal(canon); err != nil {
		t.Fatalf("gogo rejects its own encoding: %v", err)
	}
	var fresh Decoder
	got, cerr := fresh.DecodeV1(canon)
	if cerr != nil {
		t.Fatalf("DecodeV1 rejects the canonical encoding of what gogo accepts: %v\ninput: %q\ncanonical: %q", cerr, short(b), short(canon))
	}
	if diff := compareV1(got, &want); diff != nil {
		t.Fatalf("DecodeV1 of the canonical encoding differs from gogo: %v\ninput: %q", diff, short(b))
	}
	return err
}

// checkV2 is checkV1 for remote-write 2.0, with one difference: gogo does
// not check symbol references, so checkV2 expects DecodeV2 to reject, as
// the specification requires, what gogo accepts but violates the rules of
// references (see specViolation).
func checkV2(t *testing.T, d *Decoder, b []byte) error {
	t.Helper()
	got, err := d.DecodeV2(b)
	checkError(t, err, b)
	var want writev2.Request
	wantErr := want.Unmarshal(b)
	if wantErr != nil {
		if err == nil {
			t.Fatalf("DecodeV2 accepts what gogo rejects (%v):\n%q", wantErr, short(b))
		}
		return err
	}
	violation := specViolation(&want)
	if err == nil {
		if violation != "" {
			t.Fatalf("DecodeV2 accepts a request that breaks the specification (%s):\n%q", violation, short(b))
		}
		if diff := compareV2(got, &want); diff != nil {
			t.Fatalf("DecodeV2 differs from gogo: %v\ninput: %q", diff, short(b))
		}
	}
	clearUnrecognized(&want)
	canon, merr := want.Marshal()
	if merr != nil {
		t.Fatalf("marshal gogo request: %v", merr)
	}
	want = writev2.Request{}
	if err := want.Unmarshal(canon); err != nil {
		t.Fatalf("gogo rejects its own encoding: %v", err)
	}
	var fresh Decoder
	got, cerr := fresh.DecodeV2(canon)
	switch {
	case violation != "" && cerr == nil:
		t.Fatalf("DecodeV2 accepts a request that breaks the specification (%s):\n%q", violation, short(canon))
	case violation == "" && cerr != nil:
		t.Fatalf("DecodeV2 rejects the canonical encoding of what gogo accepts: %v\ninput: %q\ncanonical: %q", cerr, short(b), short(canon))
	case cerr == nil:
		if diff := compareV2(got, &want); diff != nil {
			t.Fatalf("DecodeV2 of the canonical encoding differs from gogo: %v\ninput: %q", diff, short(b))
		}
	}
	return err
}

// checkError fails t unless err, from decoding b, is nil or a
// *decodeError located inside b.
func checkError(t *testing.T, err error, b []byte) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := err.(*decodeError)
	if !ok {
		t.Fatalf("error %v is a %T, want a *decodeError", err, err)
	}
	if e.offset < 0 || e.offset > len(b) || e.reason == "" {
		t.Fatalf("error %q is located outside the %d bytes of input", err, len(b))
	}
}

// short returns b, or its start when it is too long to print in full.
func short(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:200:200], "..."...)
	}
	return b
}

// specViolation returns how r, as gogo decoded it, breaks the rules of the
// 2.0 specification about symbol references, or "" when it does not.
func specViolation(r *writev2.Request) string {
	if len(r.Symbols) > 0 && r.Symbols[0] != "" {
		return "symbols[0] is not empty"
	}
	refs := func(what string, rs []uint32) string {
		if len(rs)%2 != 0 {
			return what + ": odd number of label references"
		}
		for _, ref := range rs {
			if _, ok := resolve(r.Symbols, ref); !ok {
				return fmt.Sprintf("%s: reference %d out of range", what, ref)
			}
		}
		return ""
	}
	for i, ts := range r.Timeseries {
		if v := refs(fmt.Sprintf("timeseries[%d]", i), ts.LabelsRefs); v != "" {
			return v
		}
		for j, e := range ts.Exemplars {
			if v := refs(fmt.Sprintf("timeseries[%d].exemplars[%d]", i, j), e.LabelsRefs); v != "" {
				return v
			}
		}
		if v := refs(fmt.Sprintf("timeseries[%d].metadata", i), []uint32{ts.Metadata.HelpRef, ts.Metadata.UnitRef}); v != "" {
			return v
		}
	}
	return ""
}

// resolve returns the symbol that ref refers to; reference 0 is the empty
// string even when there are no symbols.
func resolve(symbols []string, ref uint32) (string, bool) {
	if int(ref) < len(symbols) {
		return symbols[ref], true
	}
	return "", ref == 0
}

// compareV1 returns the first difference between got and want.
func compareV1(got *Request, want *prompb.WriteRequest) error {
	if len(got.Timeseries) != len(want.Timeseries) {
		return fmt.Errorf("%d series, want %d", len(got.Timeseries), len(want.Timeseries))
	}
	for i, w := range want.Timeseries {
		g := got.Timeseries[i]
		if err := compareLabelsV1(g.Labels, w.Labels); err != nil {
			return fmt.Errorf("timeseries[%d].labels: %w", i, err)
		}
		var samples []Sample
		for _, s := range w.Samples {
			samples = append(samples, Sample{Value: s.Value, Timestamp: s.Timestamp})
		}
		if err := compareSamples(g.Samples, samples); err != nil {
			return fmt.Errorf("timeseries[%d].samples: %w", i, err)
		}
		if len(g.Exemplars) != len(w.Exemplars) {
			return fmt.Errorf("timeseries[%d]: %d exemplars, want %d", i, len(g.Exemplars), len(w.Exemplars))
		}
		for j, we := range w.Exemplars {
			ge := g.Exemplars[j]
			if err := compareLabelsV1(ge.Labels, we.Labels); err != nil {
				return fmt.Errorf("timeseries[%d].exemplars[%d].labels: %w", i, j, err)
			}
			if !sameFloat(ge.Value, we.Value) || ge.Timestamp != we.Timestamp {
				return fmt.Errorf("timeseries[%d].exemplars[%d] = %v@%d, want %v@%d", i, j, ge.Value, ge.Timestamp, we.Value, we.Timestamp)
			}
		}
		if len(g.Histograms) != len(w.Histograms) {
			return fmt.Errorf("timeseries[%d]: %d histograms, want %d", i, len(g.Histograms), len(w.Histograms))
		}
		for j := range w.Histograms {
			wh := &w.Histograms[j]
			gh := g.Histograms[j]
			if gh.Timestamp != wh.Timestamp || gh.StartTimestamp != 0 || gh.v2 {
				return fmt.Errorf("timeseries[%d].histograms[%d]: timestamps %d, %d, v2 %t, want %d, 0, false", i, j, gh.Timestamp, gh.StartTimestamp, gh.v2, wh.Timestamp)
			}
			var raw prompb.Histogram
			if err := raw.Unmarshal(gh.Raw); err != nil {
				return fmt.Errorf("timeseries[%d].histograms[%d]: %w", i, j, err)
			}
			if err := sameMessage(&raw, wh); err != nil {
				return fmt.Errorf("timeseries[%d].histograms[%d]: %w", i, j, err)
			}
		}
		if g.Metadata != (Metadata{}) {
			return fmt.Errorf("timeseries[%d].metadata = %+v, want none in 1.0", i, g.Metadata)
		}
	}
	if len(got.Metadata) != len(want.Metadata) {
		return fmt.Errorf("%d metadata, want %d", len(got.Metadata), len(want.Metadata))
	}
	for i, w := range want.Metadata {
		wm := Metadata{Type: MetricType(w.Type), Family: w.MetricFamilyName, Help: w.Help, Unit: w.Unit}
		if got.Metadata[i] != wm {
			return fmt.Errorf("metadata[%d] = %+v, want %+v", i, got.Metadata[i], wm)
		}
	}
	return nil
}

// compareV2 returns the first difference between got and want, whose
// references must be valid.
func compareV2(got *Request, want *writev2.Request) error {
	if len(got.Metadata) != 0 {
		return fmt.Errorf("%d request metadata, want none in 2.0", len(got.Metadata))
	}
	if len(got.Timeseries) != len(want.Timeseries) {
		return fmt.Errorf("%d series, want %d", len(got.Timeseries), len(want.Timeseries))
	}
	sym := func(ref uint32) string {
		s, _ := resolve(want.Symbols, ref)
		return s
	}
	labels := func(refs []uint32) []Label {
		var ls []Label
		for i := 0; i+1 < len(refs); i += 2 {
			ls = append(ls, Label{Name: sym(refs[i]), Value: sym(refs[i+1])})
		}
		return ls
	}
	for i, w := range want.Timeseries {
		g := got.Timeseries[i]
		if err := compareLabels(g.Labels, labels(w.LabelsRefs)); err != nil {
			return fmt.Errorf("timeseries[%d].labels: %w", i, err)
		}
		var samples []Sample
		for _, s := range w.Samples {
			samples = append(samples, Sample{Value: s.Value, Timestamp: s.Timestamp, StartTimestamp: s.StartTimestamp})
		}
		if err := compareSamples(g.Samples, samples); err != nil {
			return fmt.Errorf("timeseries[%d].samples: %w", i, err)
		}
		if len(g.Exemplars) != len(w.Exemplars) {
			return fmt.Errorf("timeseries[%d]: %d exemplars, want %d", i, len(g.Exemplars), len(w.Exemplars))
		}
		for j, we := range w.Exemplars {
			ge := g.Exemplars[j]
			if err := compareLabels(ge.Labels, labels(we.LabelsRefs)); err != nil {
				return fmt.Errorf("timeseries[%d].exemplars[%d].labels: %w", i, j, err)
			}
			if !sameFloat(ge.Value, we.Value) || ge.Timestamp != we.Timestamp {
				return fmt.Errorf("timeseries[%d].exemplars[%d] = %v@%d, want %v@%d", i, j, ge.Value, ge.Timestamp, we.Value, we.Timestamp)
			}
		}
		if len(g.Histograms) != len(w.Histograms) {
			return fmt.Errorf("timeseries[%d]: %d histograms, want %d", i, len(g.Histograms), len(w.Histograms))
		}
		for j := range w.Histograms {
			wh := &w.Histograms[j]
			gh := g.Histograms[j]
			if gh.Timestamp != wh.Timestamp || gh.StartTimestamp != wh.StartTimestamp || !gh.v2 {
				return fmt.Errorf("timeseries[%d].histograms[%d]: timestamps %d, %d, v2 %t, want %d, %d, true", i, j, gh.Timestamp, gh.StartTimestamp, gh.v2, wh.Timestamp, wh.StartTimestamp)
			}
			var raw writev2.Histogram
			if err := raw.Unmarshal(gh.Raw); err != nil {
				return fmt.Errorf("timeseries[%d].histograms[%d]: %w", i, j, err)
			}
			if err := sameMessage(&raw, wh); err != nil {
				return fmt.Errorf("timeseries[%d].histograms[%d]: %w", i, j, err)
			}
		}
		wm := Metadata{Type: MetricType(w.Metadata.Type), Help: sym(w.Metadata.HelpRef), Unit: sym(w.Metadata.UnitRef)}
		if g.Metadata != wm {
			return fmt.Errorf("timeseries[%d].metadata = %+v, want %+v", i, g.Metadata, wm)
		}
	}
	return nil
}

func compareLabelsV1(got []Label, want []prompb.Label) error {
	var ls []Label
	for _, l := range want {
		ls = append(ls, Label{Name: l.Name, Value: l.Value})
	}
	return compareLabels(got, ls)
}

func compareLabels(got, want []Label) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d labels %q, want %d %q", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			return fmt.Errorf("[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	if cap(got) != len(got) {
		return fmt.Errorf("capacity %d, want it capped at the length %d", cap(got), len(got))
	}
	return nil
}

func compareSamples(got, want []Sample) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d samples, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if !sameFloat(g.Value, w.Value) || g.Timestamp != w.Timestamp || g.StartTimestamp != w.StartTimestamp {
			return fmt.Errorf("[%d] = %#x@%d (start %d), want %#x@%d (start %d)", i,
				math.Float64bits(g.Value), g.Timestamp, g.StartTimestamp, math.Float64bits(w.Value), w.Timestamp, w.StartTimestamp)
		}
	}
	if cap(got) != len(got) {
		return fmt.Errorf("capacity %d, want it capped at the length %d", cap(got), len(got))
	}
	return nil
}

// sameFloat reports whether a and b have the same bits, so that NaN
// payloads such as Prometheus's stale marker count.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}

// sameMessage compares two gogo messages by their encoding, which keeps
// float bits and unknown fields.
func sameMessage(got, want interface{ Marshal() ([]byte, error) }) error {
	g, err := got.Marshal()
	if err != nil {
		return err
	}
	w, err := want.Marshal()
	if err != nil {
		return err
	}
	if !bytes.Equal(g, w) {
		return fmt.Errorf("encodes as %q, want %q", g, w)
	}
	return nil
}

// clearUnrecognized drops the unknown fields that gogo keeps in every
// message reachable from v, a pointer.
func clearUnrecognized(v any) {
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				if v.Type().Field(i).Name == "XXX_unrecognized" {
					f.SetBytes(nil)
					continue
				}
				if f.CanSet() {
					walk(f)
				}
			}
		}
	}
	walk(reflect.ValueOf(v))
}
