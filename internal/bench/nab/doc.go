// Package nab runs streaming detectors over the Numenta Anomaly Benchmark
// (NAB v1.1) and scores them with a Go implementation of NAB's scorer.
//
// The corpus is read from NAB's layout: data/<category>/<file>.csv
// (timestamp,value rows), labels/combined_windows.json (anomaly windows per
// file) and profiles.json (the cost matrices of the application profiles).
// Run feeds every file to a fresh detector one row at a time, strictly
// causally, and Score applies NAB's rules: the probationary period, the
// scaled-sigmoid weighting of detections by their position relative to the
// windows, the corpus-wide threshold sweep and the normalisation against the
// null and the perfect detector.
//
// The package measures and scores; it asserts no target and it does not
// fetch or modify the corpus.
package nab
