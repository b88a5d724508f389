package forecast

import "fmt"

// SeasonalNaive repeats the last Period values: the forecast for a step is
// the value one season earlier. With Period 1 it is the naive forecast (the
// last value, repeated).
type SeasonalNaive struct {
	// Period is the season length in samples; values below 1 count as 1.
	Period int
}

// Name returns "snaive", or "naive" for period 1, or "snaive<period>" for a
// period other than 24 (so that several periods can be compared).
func (m SeasonalNaive) Name() string {
	switch p := m.period(); p {
	case 1:
		return "naive"
	case 24:
		return "snaive"
	default:
		return fmt.Sprintf("snaive%d", p)
	}
}

func (m SeasonalNaive) period() int { return max(m.Period, 1) }

// Forecast returns h values; y must hold at least one full period.
func (m SeasonalNaive) Forecast(y []float64, h int) ([]float64, error) {
	p := m.period()
	if err := checkInput(y, h, p); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	return seasonalNaive(y, p, h), nil
}

// seasonalNaive repeats the last p values of y over h steps.
func seasonalNaive(y []float64, p, h int) []float64 {
	n := len(y)
	f := make([]float64, h)
	for i := range f {
		f[i] = y[n-p+i%p]
	}
	return f
}
