package forecast

import (
	"fmt"
	"math"
)

// ETS is exponential smoothing with an automatically chosen form: no season
// or an additive or multiplicative season of each candidate period, crossed
// with no trend or a damped trend, the form with the lowest AICc winning. An
// undamped trend is not a candidate, since extrapolating a slope undamped
// over a long horizon is rarely right for operational data. A multiplicative
// season is tried only on positive series, a period only when the series
// holds two full seasons of it.
type ETS struct {
	// Periods lists the candidate season lengths in samples, such as 24 and
	// 168 for the daily and weekly seasons of hourly data. Without any, only
	// non-seasonal forms are tried.
	Periods []int
}

// Name returns "ets".
func (ETS) Name() string { return "ets" }

// Forecast fits every candidate form to y and forecasts h values with the
// best one by AICc.
func (m ETS) Forecast(y []float64, h int) ([]float64, error) {
	if h <= 0 {
		return nil, fmt.Errorf("ets: %w: %d", ErrHorizon, h)
	}
	fit, err := m.fit(y)
	if err != nil {
		return nil, fmt.Errorf("ets: %w", err)
	}
	f := fit.forecast(h)
	if err := checkOutput("ets", f); err != nil {
		return nil, err
	}
	return f, nil
}

// Select returns the form that ETS chooses for y, as a HoltWinters model.
func (m ETS) Select(y []float64) (HoltWinters, error) {
	fit, err := m.fit(y)
	if err != nil {
		return HoltWinters{}, fmt.Errorf("ets: %w", err)
	}
	return HoltWinters{Trend: fit.trend, Season: fit.season, Period: fit.period}, nil
}

// fit fits every candidate form and returns the best by AICc.
func (m ETS) fit(y []float64) (*hwFit, error) {
	if err := checkInput(y, 1, 3); err != nil {
		return nil, err
	}
	positive := allPositive(y)
	var (
		best     *hwFit
		bestAICc = math.Inf(1)
		firstErr error
	)
	try := func(trend Trend, season Season, period int) {
		fit, err := fitHoltWinters(y, trend, season, period)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		if a := fit.aicc(); best == nil || a < bestAICc {
			best, bestAICc = fit, a
		}
	}
	for _, trend := range []Trend{TrendNone, TrendDamped} {
		try(trend, SeasonNone, 1)
		for _, p := range m.Periods {
			if p < 2 || len(y) < 2*p {
				continue
			}
			try(trend, SeasonAdditive, p)
			if positive {
				try(trend, SeasonMultiplicative, p)
			}
		}
	}
	if best == nil {
		return nil, firstErr
	}
	return best, nil
}
