package transform

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// exactDistinct is how many distinct values a column's profile counts
// exactly; beyond it, a HyperLogLog sketch estimates the count.
const exactDistinct = 1 << 16

// profileQuantiles are the quantiles a profile reports for numeric columns.
var profileQuantiles = [...]float64{0.25, 0.5, 0.75}

// ColumnProfile is the data quality profile of one column, as OpenLineage's
// dataQualityMetrics columnMetrics report it.
type ColumnProfile struct {
	Name  string
	Type  connector.Type
	Count int64 // Non-null values.
	Nulls int64
	// Distinct counts the distinct non-null values: exactly up to 65,536,
	// then estimated within about 1%, as DistinctExact tells.
	Distinct      int64
	DistinctExact bool
	// Min and Max are the smallest and largest values of int, float, time
	// and string columns (strings by byte order), nil without values.
	Min, Max any
	// Sum is the sum of a numeric column's values.
	Sum float64
	// Quantiles maps "0.25", "0.5" and "0.75" to those quantiles of a
	// numeric column's values: exact up to 1,024 values, then estimated
	// within about 1% of the rank. Nil for other columns.
	Quantiles map[string]float64
}

// Profiler computes the profiles of the columns of a stream of batches, in
// bounded memory. It is not safe for concurrent use.
type Profiler struct {
	rows    int64
	columns []*columnState
	index   map[string]int
}

// NewProfiler returns an empty profiler.
func NewProfiler() *Profiler {
	return &Profiler{index: map[string]int{}}
}

// Add adds a batch's rows. Columns are matched by name; a column a batch
// lacks does not count the batch's rows. A column's type is the one it had
// when it first appeared; values of another type count as values, but not
// towards its minimum, maximum, sum and quantiles.
func (p *Profiler) Add(b connector.Batch) {
	p.rows += int64(len(b.Rows))
	idx := make([]*columnState, len(b.Schema))
	for i, col := range b.Schema {
		j, ok := p.index[col.Name]
		if !ok {
			j = len(p.columns)
			p.index[col.Name] = j
			p.columns = append(p.columns, newColumnState(col))
		}
		idx[i] = p.columns[j]
	}
	for _, row := range b.Rows {
		for i, v := range row {
			if i < len(idx) {
				idx[i].add(v)
			}
		}
	}
}

// Rows returns the number of rows added.
func (p *Profiler) Rows() int64 { return p.rows }

// Columns returns the profile of every column, in order of appearance.
func (p *Profiler) Columns() []ColumnProfile {
	out := make([]ColumnProfile, len(p.columns))
	for i, c := range p.columns {
		out[i] = c.profile()
	}
	return out
}

// columnState accumulates one column's profile.
type columnState struct {
	col      connector.Column
	count    int64
	nulls    int64
	exact    map[uint64]struct{} // Hashes of the distinct values, until too many.
	hll      *hyperLogLog
	min, max any
	sum      float64
	sketch   *quantileSketch
}

func newColumnState(col connector.Column) *columnState {
	c := &columnState{col: col, exact: map[uint64]struct{}{}}
	if col.Type == connector.TypeInt || col.Type == connector.TypeFloat {
		c.sketch = newQuantileSketch(quantileK)
	}
	return c
}

func (c *columnState) add(v any) {
	if v == nil {
		c.nulls++
		return
	}
	c.count++
	h := hashValue(v)
	if c.exact != nil {
		c.exact[h] = struct{}{}
		if len(c.exact) > exactDistinct {
			c.hll = newHyperLogLog()
			for x := range c.exact {
				c.hll.add(x)
			}
			c.exact = nil
		}
	} else {
		c.hll.add(h)
	}
	switch x := v.(type) {
	case int64:
		if c.col.Type == connector.TypeInt {
			c.number(float64(x))
			extremes(c, x)
		}
	case float64:
		if c.col.Type == connector.TypeFloat && !math.IsNaN(x) {
			c.number(x)
			extremes(c, x)
		}
	case string:
		if c.col.Type == connector.TypeString {
			extremes(c, x)
		}
	case time.Time:
		if c.col.Type == connector.TypeTime {
			if c.min == nil || x.Before(c.min.(time.Time)) {
				c.min = x
			}
			if c.max == nil || x.After(c.max.(time.Time)) {
				c.max = x
			}
		}
	}
}

// extremes updates a column's minimum and maximum with x.
func extremes[T cmp.Ordered](c *columnState, x T) {
	if c.min == nil || x < c.min.(T) {
		c.min = x
	}
	if c.max == nil || x > c.max.(T) {
		c.max = x
	}
}

func (c *columnState) number(x float64) {
	c.sum += x
	c.sketch.add(x)
}

func (c *columnState) profile() ColumnProfile {
	p := ColumnProfile{Name: c.col.Name, Type: c.col.Type, Count: c.count, Nulls: c.nulls, Min: c.min, Max: c.max, Sum: c.sum}
	if c.exact != nil {
		p.Distinct, p.DistinctExact = int64(len(c.exact)), true
	} else {
		p.Distinct = c.hll.estimate()
	}
	if c.sketch != nil && c.sketch.n > 0 {
		p.Quantiles = make(map[string]float64, len(profileQuantiles))
		for _, q := range profileQuantiles {
			p.Quantiles[strconv.FormatFloat(q, 'f', -1, 64)] = c.sketch.quantile(q)
		}
	}
	return p
}

// hashValue hashes a column value with a fixed function, so that profiles
// are the same from run to run.
func hashValue(v any) uint64 {
	h := fnv.New64a()
	var buf [9]byte
	switch x := v.(type) {
	case int64:
		buf[0] = 'i'
		binary.LittleEndian.PutUint64(buf[1:], uint64(x))
		_, _ = h.Write(buf[:])
	case float64:
		if x == 0 {
			x = 0 // Folds -0 into 0.
		}
		buf[0] = 'f'
		binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(x))
		_, _ = h.Write(buf[:])
	case bool:
		buf[0] = 'b'
		if x {
			buf[1] = 1
		}
		_, _ = h.Write(buf[:2])
	case time.Time:
		buf[0] = 't'
		binary.LittleEndian.PutUint64(buf[1:], uint64(x.UnixNano()))
		_, _ = h.Write(buf[:])
	case string:
		_, _ = h.Write([]byte{'s'})
		_, _ = h.Write([]byte(x))
	}
	return mix64(h.Sum64())
}

// mix64 is SplitMix64's finalizer, which spreads FNV's weak low bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
