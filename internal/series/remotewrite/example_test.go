package remotewrite_test

import (
	"fmt"
	"strings"
	"sync"

	"github.com/prometheus/prometheus/prompb"

	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// A receiver keeps decoders in a pool and copies what outlives the request.
func ExampleDecoder() {
	pool := sync.Pool{New: func() any { return new(remotewrite.Decoder) }}

	// The body of a request, once snappy-decoded.
	body, _ := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "up"}, {Name: "job", Value: "api"}},
		Samples: []prompb.Sample{{Value: 1, Timestamp: 1_767_225_600_000}},
	}}}).Marshal()

	d := pool.Get().(*remotewrite.Decoder)
	defer pool.Put(d)
	req, err := d.DecodeV1(body)
	if err != nil {
		fmt.Println("400 Bad Request:", err)
		return
	}
	var kept []string // Label values alias body: copy them to keep them.
	for _, ts := range req.Timeseries {
		for _, l := range ts.Labels {
			kept = append(kept, strings.Clone(l.Value))
		}
		for _, s := range ts.Samples {
			fmt.Println(s.Timestamp, s.Value)
		}
	}
	fmt.Println(kept)

	_, err = d.DecodeV1(body[:len(body)-1])
	fmt.Println(err)
	// Output:
	// 1767225600000 1
	// [up api]
	// timeseries[0]: length 46 exceeds the 45 remaining bytes at byte 0
}
