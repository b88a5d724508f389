package remotewrite

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/histogram"
)

func TestHistogramDecode(t *testing.T) {
	v1, v2 := marshal(t, richV1()), marshal(t, richV2())
	var d1, d2 Decoder
	r1, err := d1.DecodeV1(v1)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d2.DecodeV2(v2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		h         Histogram
		timestamp int64
		start     int64
		want      *histogram.Histogram
		wantFloat *histogram.FloatHistogram
	}{
		{name: "1.0 integer", h: r1.Timeseries[1].Histograms[0], timestamp: 10_000, want: testHistogram()},
		{name: "1.0 float", h: r1.Timeseries[1].Histograms[1], timestamp: 20_000, wantFloat: testFloatHistogram()},
		{name: "2.0 integer", h: r2.Timeseries[1].Histograms[0], timestamp: 10_000, start: 9_000, want: testHistogram()},
		{name: "2.0 float", h: r2.Timeseries[1].Histograms[1], timestamp: 20_000, wantFloat: testFloatHistogram()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.h.Timestamp != tt.timestamp || tt.h.StartTimestamp != tt.start {
				t.Errorf("timestamps %d, %d, want %d, %d", tt.h.Timestamp, tt.h.StartTimestamp, tt.timestamp, tt.start)
			}
			h, fh, err := tt.h.Decode()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want != nil && (fh != nil || h == nil || !h.Equals(tt.want)):
				t.Errorf("Decode() = %v, %v, want the integer histogram %v", h, fh, tt.want)
			case tt.wantFloat != nil && (h != nil || fh == nil || !fh.Equals(tt.wantFloat)):
				t.Errorf("Decode() = %v, %v, want the float histogram %v", h, fh, tt.wantFloat)
			}
		})
	}
}

func TestHistogramDecodeError(t *testing.T) {
	for _, h := range []Histogram{{Raw: []byte{0x0a}}, {Raw: []byte{0x0a}, v2: true}} {
		if _, _, err := h.Decode(); err == nil || !strings.Contains(err.Error(), "histogram") {
			t.Errorf("Decode of %q (2.0: %t) = %v, want an error about the histogram", h.Raw, h.v2, err)
		}
	}
}
