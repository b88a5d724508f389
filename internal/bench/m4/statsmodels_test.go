package m4

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/forecast"
)

func TestStatsmodelsComparisonPlumbing(t *testing.T) {
	// The test binary stands in for Python (see fakePython): it forecasts
	// with seasonal naive and fails on series whose id ends in "3".
	t.Setenv(fakePythonEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ds := synthetic(6) // Sa … Sf; none ends in "3".
	ds.Series[2].ID = "S3"
	rep, err := Run(context.Background(), ds, Options{
		Models:      []forecast.Model{ClassicHoltWinters(), forecast.Auto{Periods: Periods()}},
		Workers:     2,
		Statsmodels: &StatsmodelsOptions{Python: self},
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := rep.Statsmodels
	sn, _ := rep.Model("snaive")
	if sm == nil || sm.Version != "0.0-fake" || sm.Failed != 1 || !strings.HasPrefix(sm.FirstError, "S3: fake failure") {
		t.Fatalf("statsmodels result %+v", sm)
	}
	if math.Abs(sm.SMAPE-sn.SMAPE) > 1e-12 || math.Abs(sm.MASE-sn.MASE) > 1e-12 {
		t.Fatalf("fake statsmodels (seasonal naive) scored %+v, seasonal naive %+v", sm.Score, sn.Score)
	}
	if sm.CPUSeconds != 0.25*5 || sm.Seconds != 0.5*5 {
		t.Fatalf("times %g s, %g CPU-s; want the sums over the 5 forecasts", sm.Seconds, sm.CPUSeconds)
	}
	ratio, basis := rep.Speedup("auto")
	if !(ratio > 0) || basis == "" {
		t.Fatalf("speed-up %g (%s)", ratio, basis)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Statsmodels struct {
			SMAPE   float64            `json:"smape"`
			Speedup map[string]float64 `json:"speedup"`
		} `json:"statsmodels"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Statsmodels.SMAPE != sm.SMAPE || got.Statsmodels.Speedup["auto"] != ratio || got.Statsmodels.Speedup["hw-AA24"] == 0 {
		t.Fatalf("JSON %s", b)
	}
}

func TestStatsmodelsRejectsAmbiguousIDs(t *testing.T) {
	t.Setenv(fakePythonEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ds := synthetic(2)
	ds.Series[1].ID = "a,b"
	_, err = Run(context.Background(), ds, Options{Statsmodels: &StatsmodelsOptions{Python: self}})
	if err == nil || !strings.Contains(err.Error(), `"a,b"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFindPythonReportsWhatItTried(t *testing.T) {
	_, _, err := FindPython(context.Background(), []string{"/nonexistent/python3"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3 (not found)") || !strings.Contains(err.Error(), "python3-statsmodels") {
		t.Fatalf("err = %v", err)
	}
}

// TestStatsmodelsReal runs the real script on a few series. It needs a Python
// with statsmodels (Debian: python3-statsmodels): without one the test is
// skipped, or fails when CI is true. It takes a few seconds, most of them
// importing statsmodels, and is skipped with -short.
func TestStatsmodelsReal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python and imports statsmodels; skipped with -short")
	}
	ds := requireData(t)
	python, _, err := FindPython(context.Background(), PythonCandidates())
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("%v (CI is true, so a missing test dependency is a failure)", err)
		}
		t.Skip(err)
	}
	ds.Series = ds.Series[:3]
	rep, err := Run(context.Background(), ds, Options{Statsmodels: &StatsmodelsOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	sm := rep.Statsmodels
	if sm.Failed != 0 || !(sm.SMAPE > 0) || !(sm.SMAPE < 200) || !(sm.CPUSeconds > 0) {
		t.Fatalf("statsmodels on 3 series: %+v", sm)
	}
}
