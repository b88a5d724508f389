"""Fit scikit-learn's IsolationForest and score every row, for vigil bench iforest.

Usage: compare_sklearn.py ROWS N D TREES SAMPLE_SIZE SEED REPEATS SCORES

ROWS holds N*D little-endian float64 values, row after row. The forest is fitted
and every row scored REPEATS times; the anomaly scores (the opposite of
score_samples, so that higher is more anomalous, in (0, 1]) are written to
SCORES as little-endian float64, and one JSON line with scikit-learn's version
and the best fit and score times is printed.
"""

import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest


def main(argv):
    rows, n, d, trees, psi, seed, repeats, out = argv
    x = np.fromfile(rows, dtype="<f8").reshape(int(n), int(d))
    best_fit = best_score = float("inf")
    scores = None
    for _ in range(int(repeats)):
        model = IsolationForest(
            n_estimators=int(trees),
            max_samples=int(psi),
            random_state=int(seed),
            n_jobs=1,
        )
        t0 = time.perf_counter()
        model.fit(x)
        t1 = time.perf_counter()
        scores = -model.score_samples(x)
        t2 = time.perf_counter()
        best_fit = min(best_fit, t1 - t0)
        best_score = min(best_score, t2 - t1)
    scores.astype("<f8").tofile(out)
    print(json.dumps({
        "version": sklearn.__version__,
        "fit_seconds": best_fit,
        "score_seconds": best_score,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
