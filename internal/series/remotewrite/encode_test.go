package remotewrite

import (
	"math"
	"testing"

	"github.com/prometheus/prometheus/prompb"
)

// TestAppendSeriesV1 checks the encoder against gogo's decoder and ours.
func TestAppendSeriesV1(t *testing.T) {
	var b []byte
	b = AppendSeriesV1(b, []Label{{"__name__", "m"}, {"job", "x"}}, []Sample{{Value: 1.5, Timestamp: 1000}, {Value: math.Inf(-1), Timestamp: -5}})
	b = AppendSeriesV1(b, []Label{{"__name__", "n"}}, nil)
	var req prompb.WriteRequest
	if err := req.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if len(req.Timeseries) != 2 || req.Timeseries[0].Labels[1].Value != "x" || req.Timeseries[0].Samples[1].Timestamp != -5 ||
		!math.IsInf(req.Timeseries[0].Samples[1].Value, -1) || req.Timeseries[1].Labels[0].Value != "n" {
		t.Fatalf("gogo decoded %+v", req)
	}
	var d Decoder
	got, err := d.DecodeV1(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeseries[0].Samples[0] != (Sample{Value: 1.5, Timestamp: 1000}) {
		t.Fatalf("decoded %+v", got.Timeseries[0].Samples)
	}
}
