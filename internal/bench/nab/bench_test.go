package nab

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/detect"
)

// spikeFile returns n five-minute rows of a noisy sine with one spike.
func spikeFile(n, spike int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		v := 50 + 10*float64(i%12)/12 + float64((i*7919)%5)
		if i == spike {
			v = 500
		}
		fmt.Fprintf(&b, "%s,%g\n", formatTime(1396310400000+int64(i)*300000), v)
	}
	return b.String()
}

func TestBenchmarkReport(t *testing.T) {
	dir := writeCorpus(t, map[string]string{"a/spike.csv": spikeFile(400, 300), "a/quiet.csv": rows(100)},
		`{"a/spike.csv": [["`+formatTime(1396310400000+290*300000)+`", "`+formatTime(1396310400000+320*300000)+`"]], "a/quiet.csv": []}`)
	for _, name := range []string{"", detect.NameWindowedGaussian} {
		rep, err := Benchmark(context.Background(), Options{Dir: dir, Detector: name, FixedThreshold: detect.AlertThreshold})
		if err != nil {
			t.Fatal(err)
		}
		if want := name; want == "" && rep.Detector != detect.NameEnsemble || want != "" && rep.Detector != want {
			t.Errorf("detector %q", rep.Detector)
		}
		if rep.Files != 2 || rep.Windows != 1 || rep.Rows != 500 || rep.Seconds <= 0 || rep.RowsPerSecond <= 0 {
			t.Errorf("report %+v", rep)
		}
		if rep.Scores.Standard != rep.Optimized[ProfileStandard].Normalized || rep.FixedThresholdScores.LowFN != rep.Fixed[ProfileLowFN].Normalized {
			t.Errorf("scores %+v / %+v do not match the details", rep.Scores, rep.FixedThresholdScores)
		}
		if rep.Fixed[ProfileStandard].Threshold != detect.AlertThreshold {
			t.Errorf("fixed threshold %v", rep.Fixed[ProfileStandard].Threshold)
		}
		// Both detectors see a spike of 45 standard deviations.
		if rep.Scores.Standard < 50 {
			t.Errorf("%s scored %.2f on a lone spike", rep.Detector, rep.Scores.Standard)
		}

		// The JSON object has exactly the documented keys.
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		if got, want := keys(obj), []string{"detector", "files", "fixed_threshold_scores", "rows", "rows_per_second", "scores", "seconds", "windows"}; !reflect.DeepEqual(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		for _, k := range []string{"scores", "fixed_threshold_scores"} {
			if got, want := keys(obj[k].(map[string]any)), []string{"reward_low_FN_rate", "reward_low_FP_rate", "standard"}; !reflect.DeepEqual(got, want) {
				t.Errorf("%s keys %v, want %v", k, got, want)
			}
		}
	}
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestBenchmarkErrors(t *testing.T) {
	if _, err := Benchmark(context.Background(), Options{Dir: t.TempDir(), Detector: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown detector "nope"`) {
		t.Errorf("got %v", err)
	}
	if _, err := Benchmark(context.Background(), Options{Dir: t.TempDir()}); err == nil {
		t.Error("want an error for a directory that is not NAB's")
	}
}
