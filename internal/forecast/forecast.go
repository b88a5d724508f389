package forecast

import (
	"errors"
	"fmt"
	"math"
)

// Model is a forecasting method. Forecast fits the model to y, oldest first,
// and returns the next h values. It depends only on its arguments, so a Model
// is safe for concurrent use, and it returns an error rather than a
// non-finite forecast. Models expect clean input (finite values); [Auto]
// repairs gaps before it calls them.
type Model interface {
	// Name is a short identifier, such as "snaive", "ets" or "hw-AdM24".
	Name() string
	// Forecast returns h values that follow y.
	Forecast(y []float64, h int) ([]float64, error)
}

// Errors that models return, wrapped with details; test them with errors.Is.
var (
	// ErrHorizon means the horizon is not positive.
	ErrHorizon = errors.New("forecast horizon must be positive")
	// ErrTooShort means the series has too few values for the model.
	ErrTooShort = errors.New("series too short")
	// ErrNonFinite means the series holds a NaN or an infinity.
	ErrNonFinite = errors.New("series holds a non-finite value")
	// ErrNonPositive means a multiplicative model met a value ≤ 0.
	ErrNonPositive = errors.New("series holds a value that is not positive")
	// ErrNoData means the series holds no finite value at all.
	ErrNoData = errors.New("series holds no finite value")
	// ErrDiverged means no parameters kept the model's states finite and
	// admissible, or the fitted model produced a non-finite forecast.
	ErrDiverged = errors.New("model diverged")
)

// checkInput returns an error unless h is positive, y has at least minLen
// values and every value is finite.
func checkInput(y []float64, h, minLen int) error {
	if h <= 0 {
		return fmt.Errorf("%w: %d", ErrHorizon, h)
	}
	if len(y) < minLen {
		return fmt.Errorf("%w: %d values, need at least %d", ErrTooShort, len(y), minLen)
	}
	for i, v := range y {
		if !isFinite(v) {
			return fmt.Errorf("%w at index %d", ErrNonFinite, i)
		}
	}
	return nil
}

// checkOutput returns ErrDiverged, naming the model, when f holds a
// non-finite value.
func checkOutput(name string, f []float64) error {
	for i, v := range f {
		if !isFinite(v) {
			return fmt.Errorf("%s: %w at step %d", name, ErrDiverged, i+1)
		}
	}
	return nil
}

// allPositive reports whether every value of y is greater than zero.
func allPositive(y []float64) bool {
	for _, v := range y {
		if !(v > 0) {
			return false
		}
	}
	return true
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// mean returns the arithmetic mean of y, or 0 when y is empty.
func mean(y []float64) float64 {
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}

// linearFit returns the least-squares intercept a and slope b of y[t] = a +
// b·t for t = 0, 1, …, len(y)-1. A single value gives slope 0.
func linearFit(y []float64) (a, b float64) {
	n := float64(len(y))
	if len(y) < 2 {
		return mean(y), 0
	}
	tm := (n - 1) / 2
	ym := mean(y)
	var sxy, sxx float64
	for t, v := range y {
		d := float64(t) - tm
		sxy += d * (v - ym)
		sxx += d * d
	}
	b = sxy / sxx
	return ym - b*tm, b
}
