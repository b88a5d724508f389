"""Fits statsmodels' Holt-Winters to M4 series for `vigil bench m4
--compare-statsmodels`. Vigil writes this script to a temporary file and
runs it; it is not meant to be run by hand.

Usage: python3 compare_statsmodels.py INPUT HORIZON PERIOD

INPUT holds one series per line: an id, then the training values, separated
by commas. For each series one JSON object is printed on its own line:
{"id", "seconds", "cpu_seconds", "forecast"} or {"id", "error"}; the times
cover the fit and the forecast only.
"""

import json
import sys
import time
import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

# statsmodels turns its ConvergenceWarning on at import; silence it after.
warnings.simplefilter("ignore")


def main():
    path, horizon, period = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            sid, y = fields[0], np.array([float(v) for v in fields[1:]])
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                model = ExponentialSmoothing(
                    y, trend="add", seasonal="add", seasonal_periods=period
                )
                fc = model.fit().forecast(horizon)
            except Exception as e:  # Reported per series, not fatal.
                print(json.dumps({"id": sid, "error": str(e)}), flush=True)
                continue
            out = {
                "id": sid,
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "forecast": [float(v) for v in fc],
            }
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
