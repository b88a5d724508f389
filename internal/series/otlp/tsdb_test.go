package otlp

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	metricspb "go.opentelemetry.io/proto/slim/otlp/metrics/v1"
)

// TestHandlerWithTSDB sends the fixture through the handler into a real
// Prometheus TSDB and reads it back; then it sends older samples, which the
// TSDB refuses as out of order, and checks they come back as a partial
// success.
func TestHandlerWithTSDB(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a TSDB")
	}
	opts := tsdb.DefaultOptions()
	opts.EnableExemplarStorage = true
	opts.MaxExemplars = 100
	db, err := tsdb.Open(t.TempDir(), nil, nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	h := NewHandler(db, Options{Now: fixedNow})

	rec := post(h, ContentTypeJSON, "", readFixture(t))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ps := decodeResponse(t, rec).GetPartialSuccess(); ps.GetRejectedDataPoints() != 1 {
		t.Errorf("partial success %v, want the delta point rejected", ps)
	}

	type stored struct {
		floats, histograms int
		last               float64
	}
	read := func(name string) map[string]stored {
		t.Helper()
		q, err := db.Querier(math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		out := map[string]stored{}
		ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", name))
		for ss.Next() {
			var s stored
			it := ss.At().Iterator(nil)
			for typ := it.Next(); typ != chunkenc.ValNone; typ = it.Next() {
				switch typ {
				case chunkenc.ValFloat:
					_, s.last = it.At()
					s.floats++
				case chunkenc.ValHistogram:
					s.histograms++
				}
			}
			out[ss.At().Labels().String()] = s
		}
		if err := ss.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	const (
		target = `instance="pod-7", job="shop/checkout"`
		scope  = `otel_scope_name="io.opentelemetry.http", ` +
			`otel_scope_schema_url="https://opentelemetry.io/schemas/1.26.0", otel_scope_version="1.2.0"`
	)
	counter := read("http_server_request_count_total")
	if got := counter[`{__name__="http_server_request_count_total", http_route="/cart", http_status_code="200", `+target+`, `+scope+`}`]; got.floats != 1 || got.last != 1027 {
		t.Errorf("counter: %v", counter)
	}
	if got := read("http_server_request_duration_seconds_bucket"); len(got) != 3 {
		t.Errorf("histogram buckets: %v", got)
	}
	if got := read("http_server_request_size_bytes"); len(got) != 1 {
		t.Errorf("native histogram: %v", got)
	} else {
		for _, s := range got {
			if s.histograms != 1 {
				t.Errorf("native histogram: %v", got)
			}
		}
	}
	memory := read("process_memory_usage_bytes")
	if got := memory[`{__name__="process_memory_usage_bytes", `+target+`, kind="gone", `+scope+`}`]; got.floats != 1 || !value.IsStaleNaN(got.last) {
		t.Errorf("stale marker: %v", memory)
	}

	exq, err := db.ExemplarQuerier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	exs, err := exq.Select(math.MinInt64, math.MaxInt64, []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+")})
	if err != nil {
		t.Fatal(err)
	}
	var exemplars int
	for _, e := range exs {
		exemplars += len(e.Exemplars)
	}
	if exemplars != 2 {
		t.Errorf("%d exemplars stored, want 2: %v", exemplars, exs)
	}

	// Older samples for the same series are out of order.
	older := one(gauge("g", "", dbl(t0, 1)))
	if rec := post(h, ContentTypeProtobuf, "", marshal(t, older)); rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	older.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].GetGauge().DataPoints[0].TimeUnixNano = t0 - uint64(time.Second)
	rec = post(h, ContentTypeProtobuf, "", marshal(t, older))
	ps := decodeResponse(t, rec).GetPartialSuccess()
	if rec.Code != http.StatusOK || ps.GetRejectedDataPoints() != 1 {
		t.Fatalf("status %d, partial success %v; want 1 point rejected", rec.Code, ps)
	}
	if got := testutil.ToFloat64(h.metrics.rejected.WithLabelValues(string(ReasonOutOfOrder))); got != 1 {
		t.Errorf("vigil_otlp_rejected_points_total{reason=\"out_of_order\"} = %v, want 1", got)
	}

	// An exponential histogram the TSDB would refuse is caught before it.
	bad := one(expHist("e", "", cumulative, &metricspb.ExponentialHistogramDataPoint{TimeUnixNano: t0, Count: 1,
		Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{BucketCounts: []uint64{5}}}))
	rec = post(h, ContentTypeProtobuf, "", marshal(t, bad))
	if ps := decodeResponse(t, rec).GetPartialSuccess(); ps.GetRejectedDataPoints() != 1 {
		t.Errorf("partial success %v, want the histogram rejected", ps)
	}
}
