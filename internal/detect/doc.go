// Package detect holds Vigil's streaming anomaly detectors: algorithms that
// take one sample of a univariate series at a time and return an anomaly
// score in [0, 1] with an explanation, the range of values the baseline
// expected and the sub-detectors that fired.
//
// Every detector is pure and deterministic: no I/O, no goroutines, no
// globals and no wall clock. Time comes only from the sample timestamps, so
// replaying the same samples always yields the same verdicts, and every
// detector is strictly causal: the verdict on a sample depends only on it
// and on the samples before it.
//
// The Ensemble is Vigil's detector. Robust baselines (a fast local level
// and a slow level with an automatically chosen daily, weekly or no
// seasonal profile), a streaming peaks-over-threshold model of the values,
// a record detector (a value beyond every value seen, or a baseline error
// larger than every error before it, the more so the farther beyond) and
// a CUSUM change-point detector each give evidence; the evidence is
// calibrated into tail probabilities learned from each series' own
// history, combined, and turned into a score with a noise floor, damping of
// repeated evidence about one event and hysteresis. Its state is a
// fixed-size value of under 4 KiB per series.
//
// IsolationForest scores rows of several related series at once (all the
// metrics of one pipeline or agent) and explains which features isolated
// a row; StreamingIForest refits it on a window of recent normal rows.
//
// WindowedGaussian reproduces the Windowed Gaussian baseline of the Numenta
// Anomaly Benchmark exactly; it exists to check the benchmark's scorer
// against NAB's published results, not for production use.
//
// An Ensemble encodes its whole state (MarshalBinary, about 3.3 KB for a
// learned series) so that a restored one continues bit for bit; the engine
// snapshots them so a restart keeps its baselines. The package does not
// store series, run detectors on live data or emit signals; the engine does.
package detect
