package connector

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// genColumnSettings describe one generated column. Which keys apply
// depends on dist:
//
//	sequence     start (default 1): start, start+1, … within the run; int
//	uniform      min, max: uniform in [min, max); an int column draws whole numbers in [min, max]
//	normal       mean, stddev
//	lognormal    mu, sigma: exp of a normal with that mean and deviation
//	categorical  values, weights (default equal): one of values; typed by type (default string)
//	bool         p (default 0.5): true with probability p
//	timestamp    spread evenly over the run's interval, in order, with jitter; time
//	uuid         a random version 4 UUID; string
//
// Numeric distributions make floats unless type is int, which rounds;
// decimals rounds floats to that many decimal places. null is the fraction
// of values that are null (not for sequence).
type genColumnSettings struct {
	Name     string    `setting:"name"`
	Type     Type      `setting:"type"`
	Dist     string    `setting:"dist"`
	Null     float64   `setting:"null"`
	Start    *int64    `setting:"start"`
	Min      *float64  `setting:"min"`
	Max      *float64  `setting:"max"`
	Mean     float64   `setting:"mean"`
	Stddev   float64   `setting:"stddev"`
	Mu       float64   `setting:"mu"`
	Sigma    float64   `setting:"sigma"`
	Values   []string  `setting:"values"`
	Weights  []float64 `setting:"weights"`
	P        *float64  `setting:"p"`
	Decimals *int      `setting:"decimals"`
}

// The distributions.
const (
	distSequence    = "sequence"
	distUniform     = "uniform"
	distNormal      = "normal"
	distLognormal   = "lognormal"
	distCategorical = "categorical"
	distBool        = "bool"
	distTimestamp   = "timestamp"
	distUUID        = "uuid"
)

// genColumn is a validated column description.
type genColumn struct {
	name     string
	typ      Type
	dist     string
	null     float64
	start    int64
	a, b     float64   // min and max, mean and stddev, or mu and sigma.
	values   []any     // Categorical values, boxed once.
	cum      []float64 // Cumulative categorical weights, ending at 1.
	p        float64
	scale    float64 // 10^decimals, or 0 to keep full precision.
	rounding bool    // Round to an int.
}

func (s genColumnSettings) build() (genColumn, error) {
	c := genColumn{name: s.Name, typ: s.Type, dist: s.Dist, null: s.Null}
	bad := func(key, format string, args ...any) error {
		return &settingError{path: key, err: fmt.Errorf(format, args...)}
	}
	// want fixes the column's type: the distribution's only type, or the
	// first of those it allows when type is not set.
	want := func(allowed ...Type) error {
		if c.typ == "" {
			c.typ = allowed[0]
			return nil
		}
		for _, t := range allowed {
			if c.typ == t {
				return nil
			}
		}
		return bad("type", "dist %s makes %v, not %s", c.dist, allowed, c.typ)
	}
	if s.Null < 0 || s.Null > 1 {
		return c, bad("null", "want a fraction in [0, 1], got %v", s.Null)
	}
	var err error
	switch s.Dist {
	case distSequence:
		c.start = 1
		if s.Start != nil {
			c.start = *s.Start
		}
		if s.Null != 0 {
			return c, bad("null", "does not apply to dist sequence")
		}
		err = want(TypeInt)
	case distUniform:
		if s.Min == nil || s.Max == nil || *s.Min > *s.Max {
			return c, bad("min", "uniform needs min and max, with min <= max")
		}
		c.a, c.b = *s.Min, *s.Max
		err = want(TypeFloat, TypeInt)
	case distNormal:
		if s.Stddev < 0 {
			return c, bad("stddev", "must not be negative")
		}
		c.a, c.b = s.Mean, s.Stddev
		err = want(TypeFloat, TypeInt)
	case distLognormal:
		if s.Sigma < 0 {
			return c, bad("sigma", "must not be negative")
		}
		c.a, c.b = s.Mu, s.Sigma
		err = want(TypeFloat, TypeInt)
	case distCategorical:
		err = c.categorical(s, want)
	case distBool:
		c.p = 0.5
		if s.P != nil {
			c.p = *s.P
		}
		if c.p < 0 || c.p > 1 {
			return c, bad("p", "want a probability in [0, 1], got %v", c.p)
		}
		err = want(TypeBool)
	case distTimestamp:
		err = want(TypeTime)
	case distUUID:
		err = want(TypeString)
	case "":
		return c, bad("dist", "is required (sequence, uniform, normal, lognormal, categorical, bool, timestamp or uuid)")
	default:
		return c, bad("dist", "unknown distribution %q (want sequence, uniform, normal, lognormal, categorical, bool, timestamp or uuid)", s.Dist)
	}
	if err != nil {
		return c, err
	}
	if s.Decimals != nil {
		if *s.Decimals < 0 || *s.Decimals > 15 || c.typ != TypeFloat {
			return c, bad("decimals", "want 0 to 15, for float columns")
		}
		c.scale = math.Pow10(*s.Decimals)
	}
	c.rounding = c.typ == TypeInt && c.dist != distSequence
	return c, nil
}

// categorical validates values and weights and precomputes the draw.
func (c *genColumn) categorical(s genColumnSettings, want func(...Type) error) error {
	if len(s.Values) == 0 {
		return &settingError{path: "values", err: errors.New("categorical needs values")}
	}
	if err := want(TypeString, TypeInt, TypeFloat, TypeBool, TypeTime); err != nil {
		return err
	}
	weights := s.Weights
	if len(weights) == 0 {
		weights = make([]float64, len(s.Values))
		for i := range weights {
			weights[i] = 1
		}
	}
	if len(weights) != len(s.Values) {
		return &settingError{path: "weights", err: fmt.Errorf("has %d weights for %d values", len(weights), len(s.Values))}
	}
	var total float64
	for _, w := range weights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return &settingError{path: "weights", err: fmt.Errorf("weight %v is not a finite, non-negative number", w)}
		}
		total += w
	}
	if total == 0 {
		return &settingError{path: "weights", err: errors.New("weights sum to zero")}
	}
	var acc float64
	for i, v := range s.Values {
		parsed, err := ParseValue(v, c.typ)
		if err != nil {
			return &settingError{path: fmt.Sprintf("values[%d]", i), err: err}
		}
		c.values = append(c.values, parsed)
		acc += weights[i] / total
		c.cum = append(c.cum, acc)
	}
	c.cum[len(c.cum)-1] = 1 // Rounding must not leave a gap at the top.
	return nil
}

// genState generates one column for one run.
type genState struct {
	genColumn
	rng      *rand.Rand
	at       time.Time
	interval time.Duration
	total    int64 // Rows in the run.
}

// fill sets column col of rows, which are rows first, first+1, … of the run.
func (g *genState) fill(rows [][]any, col int, first int64) {
	for r, row := range rows {
		if g.null > 0 && g.rng.Float64() < g.null {
			row[col] = nil
			continue
		}
		row[col] = g.value(first + int64(r))
	}
}

// value draws the value of row i of the run.
func (g *genState) value(i int64) any {
	switch g.dist {
	case distSequence:
		return g.start + i
	case distCategorical:
		u := g.rng.Float64()
		return g.values[sort.SearchFloat64s(g.cum, u)]
	case distBool:
		return g.rng.Float64() < g.p
	case distTimestamp:
		// Stratified: row i falls in the i-th of total equal slices of the
		// interval, so times are spread evenly and in order.
		frac := (float64(i) + g.rng.Float64()) / float64(g.total)
		return g.at.Add(time.Duration(frac * float64(g.interval)))
	case distUUID:
		return uuid4(g.rng.Uint64(), g.rng.Uint64())
	}
	var x float64
	switch g.dist {
	case distUniform:
		if g.rounding {
			lo, hi := math.Ceil(g.a), math.Floor(g.b)
			if hi < lo {
				return int64(lo)
			}
			return int64(lo) + g.rng.Int64N(int64(hi-lo)+1)
		}
		x = g.a + g.rng.Float64()*(g.b-g.a)
	case distNormal:
		x = g.a + g.b*g.rng.NormFloat64()
	case distLognormal:
		x = math.Exp(g.a + g.b*g.rng.NormFloat64())
	}
	if g.rounding {
		return int64(math.Round(x))
	}
	if g.scale > 0 {
		x = math.Round(x*g.scale) / g.scale
	}
	return x
}

// uuid4 formats 128 random bits as a version 4, variant 1 UUID.
func uuid4(hi, lo uint64) string {
	const hex = "0123456789abcdef"
	hi = hi&^(0xf<<12) | 0x4<<12 // Version 4.
	lo = lo&^(0x3<<62) | 0x2<<62 // Variant 1.
	var b [36]byte
	pos := 0
	put := func(v uint64, nibbles int) {
		for k := nibbles - 1; k >= 0; k-- {
			b[pos] = hex[(v>>(4*uint(k)))&0xf]
			pos++
		}
	}
	put(hi>>32, 8)
	b[pos] = '-'
	pos++
	put(hi>>16, 4)
	b[pos] = '-'
	pos++
	put(hi, 4)
	b[pos] = '-'
	pos++
	put(lo>>48, 4)
	b[pos] = '-'
	pos++
	put(lo, 12)
	return string(b[:])
}
