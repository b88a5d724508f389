package forecast

import (
	"fmt"
	"math"
	"slices"
)

// mstlIterations is how often MSTL cycles through the periods, as in R's
// mstl.
const mstlIterations = 2

// Decomposition is a series split into a trend, one seasonal component per
// period and a remainder: y[t] = Trend[t] + Σ Seasonal[i][t] + Remainder[t].
type Decomposition struct {
	// Periods are the season lengths that were extracted, ascending.
	Periods []int
	// Trend is the smooth trend-cycle.
	Trend []float64
	// Seasonal holds one component per period.
	Seasonal [][]float64
	// Remainder is what trend and seasons leave.
	Remainder []float64
}

// MSTLDecompose splits y into trend, seasonal components and remainder by
// MSTL (Bandara, Hyndman and Bergmeir, 2021) as R's mstl does it: for each
// period in ascending order, STL with seasonal window 7 + 4·i extracts that
// season from the series with the other seasons removed, twice over; the
// trend is that of the last STL fit. Periods below 2 or of half the series or
// more are left out, so a short series has fewer components; without any,
// the trend is a LOESS smooth of y over a quarter of its length.
func MSTLDecompose(y []float64, periods []int) Decomposition {
	n := len(y)
	ps := make([]int, 0, len(periods))
	for _, p := range periods {
		if p >= 2 && 2*p < n && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	d := Decomposition{Periods: ps, Trend: make([]float64, n), Seasonal: make([][]float64, len(ps))}
	deseason := slices.Clone(y)
	for i := range d.Seasonal {
		d.Seasonal[i] = make([]float64, n)
	}
	if len(ps) == 0 {
		if n > 0 {
			q := nextOdd(max(3, n/4))
			loess(y, q, 1, ceilDiv(q, 10), d.Trend)
		}
	}
	stls := make([]*stl, len(ps))
	for i, p := range ps {
		stls[i] = newSTL(p, 7+4*(i+1))
	}
	for range mstlIterations {
		for i := range ps {
			s := d.Seasonal[i]
			for t := range deseason {
				deseason[t] += s[t]
			}
			season, trend := stls[i].decompose(deseason)
			copy(s, season)
			for t := range deseason {
				deseason[t] -= s[t]
			}
			copy(d.Trend, trend)
		}
	}
	d.Remainder = make([]float64, n)
	for t := range deseason {
		d.Remainder[t] = deseason[t] - d.Trend[t]
	}
	return d
}

// MSTL forecasts with a multi-seasonal decomposition: [MSTLDecompose] removes
// every season, non-seasonal [ETS] (no trend or a damped trend, by AICc)
// forecasts the seasonally adjusted series (trend plus remainder), and each
// season is continued by repeating its last cycle. With Log set, the
// decomposition is made on the logarithms, which suits seasons whose
// amplitude follows the level; the series must then be positive.
type MSTL struct {
	// Periods lists the season lengths in samples, such as 24 and 168.
	Periods []int
	// Log decomposes the logarithm of the series.
	Log bool
}

// Name returns "mstl", or "mstl-log" with Log set.
func (m MSTL) Name() string {
	if m.Log {
		return "mstl-log"
	}
	return "mstl"
}

// Forecast returns h values; y needs at least four values.
func (m MSTL) Forecast(y []float64, h int) ([]float64, error) {
	if err := checkInput(y, h, 4); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	x := y
	if m.Log {
		if !allPositive(y) {
			return nil, fmt.Errorf("%s: %w", m.Name(), ErrNonPositive)
		}
		x = make([]float64, len(y))
		for i, v := range y {
			x[i] = math.Log(v)
		}
	}
	d := MSTLDecompose(x, m.Periods)
	adj := make([]float64, len(x))
	for t := range adj {
		adj[t] = d.Trend[t] + d.Remainder[t]
	}
	f, err := ETS{}.Forecast(adj, h)
	if err != nil {
		return nil, fmt.Errorf("%s: seasonally adjusted series: %w", m.Name(), err)
	}
	n := len(x)
	for i, p := range d.Periods {
		s := d.Seasonal[i]
		for j := range f {
			f[j] += s[n-p+j%p]
		}
	}
	if m.Log {
		for j := range f {
			f[j] = math.Exp(f[j])
		}
	}
	if err := checkOutput(m.Name(), f); err != nil {
		return nil, err
	}
	return f, nil
}
