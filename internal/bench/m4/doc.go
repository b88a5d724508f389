// Package m4 runs Vigil's forecasting models on the hourly series of the M4
// competition and scores them as the competition did: sMAPE, MASE with a
// season of 24, and OWA relative to the Naive2 benchmark, each averaged over
// the series set.
//
// It reads the competition's file layout (Hourly-train.csv, Hourly-test.csv
// and the official results), holds the reference benchmarks (seasonal naive
// and Naive2, exactly as the competition's R code computes them), and can run
// statsmodels' Holt-Winters on the same series for comparison. It does not
// tune anything to the data: every model runs with one fixed configuration.
package m4
