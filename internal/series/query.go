package series

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// Range is one series of a range query's result.
type Range struct {
	Labels Labels
	// T holds the step timestamps in milliseconds and V the values; steps
	// where the series had no sample are left out.
	T []int64
	V []float64
}

// QueryRange evaluates expr over [start, end] every step, for Vigil's own
// components, under the same limits (timeout, samples, concurrency) as the
// query API. An expression that does not give a range vector of floats is
// an error.
func (s *Store) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]Range, error) {
	select {
	case s.queries <- struct{}{}:
		defer func() { <-s.queries }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	qry, err := s.engine.NewRangeQuery(ctx, s.queryable(), nil, expr, start, end, step)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, res.Err)
	}
	m, err := res.Matrix()
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	out := make([]Range, 0, len(m))
	for _, ser := range m {
		r := Range{Labels: Labels{ser.Metric}, T: make([]int64, len(ser.Floats)), V: make([]float64, len(ser.Floats))}
		for i, p := range ser.Floats {
			r.T[i], r.V[i] = p.T, p.F
		}
		out = append(out, r)
	}
	return out, nil
}

// CheckExpr reports whether expr is valid PromQL, so that configuration
// can be refused at load rather than fail on every evaluation.
func CheckExpr(expr string) error {
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
		return err
	}
	return nil
}
