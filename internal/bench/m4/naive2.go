package m4

import (
	"fmt"
	"math"

	"github.com/vigil-aiops/vigil/internal/forecast"
)

// Naive2 is the M4 benchmark of that name, as the competition's R code
// computes it: when the seasonality test says the series is seasonal at
// Frequency, the series is seasonally adjusted by classical multiplicative
// decomposition (R's decompose), the naive forecast (the last adjusted value)
// is made, and the last season's indices put the season back.
type Naive2 struct{}

// Name returns "naive2".
func (Naive2) Name() string { return "naive2" }

// Forecast returns h values after y.
func (Naive2) Forecast(y []float64, h int) ([]float64, error) {
	if h <= 0 {
		return nil, fmt.Errorf("naive2: %w: %d", forecast.ErrHorizon, h)
	}
	if len(y) == 0 {
		return nil, fmt.Errorf("naive2: %w", forecast.ErrTooShort)
	}
	n := len(y)
	f := make([]float64, h)
	var idx []float64
	if seasonalM4(y, Frequency) {
		idx = forecast.ClassicalDecompose(y, Frequency, true)
	}
	last := y[n-1]
	if idx != nil {
		last /= idx[(n-1)%Frequency]
	}
	for j := range f {
		f[j] = last
		if idx != nil {
			f[j] *= idx[(n+j)%Frequency]
		}
	}
	return f, nil
}

// seasonalM4 is the M4 code's SeasonalityTest: three full seasons are needed,
// and since R's acf computes floor(10·log10(n)) lags, a series too short for
// the lag to be computed counts as not seasonal (this never happens with the
// hourly series, which hold at least 700 values).
func seasonalM4(y []float64, ppy int) bool {
	n := len(y)
	if n < 3*ppy || int(math.Floor(10*math.Log10(float64(n)))) < ppy {
		return false
	}
	return forecast.SeasonalityTest(y, ppy)
}
