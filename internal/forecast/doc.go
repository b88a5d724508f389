// Package forecast predicts the next values of a regularly sampled series:
// the disk that fills up, the run that will miss its deadline, the load the
// agent pool will see tomorrow.
//
// It holds the models (seasonal naive, Holt-Winters/ETS, Theta, a
// multi-seasonal decomposition model), the automatic selection of a model by
// rolling-origin backtesting on the series' own history, an ensemble of the
// best, and prediction intervals from backtest errors. Every model implements
// [Model]; [Auto] is the entry point for callers that do not want to choose,
// and it never returns a NaN forecast: bad input (too short, constant, gaps,
// non-positive values) gets a fallback model and a reason.
//
// The package is pure and deterministic: no I/O, no goroutines, no globals,
// no clock. A series is a []float64, oldest first, sampled at a fixed
// interval; seasonal periods are given in samples (24 and 168 for daily and
// weekly seasonality of hourly data). Timestamps, resampling and storage are
// the caller's business (internal/engine).
package forecast
