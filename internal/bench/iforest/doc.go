// Package iforest benchmarks Vigil's Isolation Forest against
// scikit-learn's IsolationForest: it generates a labelled data set of
// correlated Gaussian clusters with several kinds of anomalies, fits both
// forests on the same rows with the same number of trees and sample size,
// scores every row with each, and reports fit time, score time and the
// ROC-AUC of each forest's scores against the labels, computed here in Go
// for both.
//
// Both forests run on one thread: scikit-learn with n_jobs=1 and its BLAS
// and OpenMP limited to one thread, Vigil's with no goroutines. Times are
// the best of several repetitions, measured inside each process, so Python's
// start-up and the data transfer are not counted. The package does not tune
// either forest to the data.
package iforest
