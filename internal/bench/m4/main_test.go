package m4

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// dataDir is the shared M4 Hourly subset, beside the checkout.
const dataDir = "../../../../shared/datasets/m4-hourly"

// fakePythonEnv makes the test binary act as a Python interpreter with
// statsmodels (see fakePython).
const fakePythonEnv = "VIGIL_M4_FAKE_PYTHON"

func TestMain(m *testing.M) {
	if os.Getenv(fakePythonEnv) != "" {
		os.Exit(fakePython(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// fakePython imitates `python -c "import statsmodels…"` (it prints a version)
// and `python script INPUT HORIZON PERIOD` (it prints the script's output
// lines with a seasonal naive forecast, and an error for series whose id ends
// in "3"), so that the comparison's plumbing is tested without Python.
func fakePython(args []string) int {
	if len(args) >= 1 && args[0] == "-c" {
		fmt.Println("0.0-fake")
		return 0
	}
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "fake python: want script INPUT HORIZON PERIOD, got", args)
		return 2
	}
	h, _ := strconv.Atoi(args[2])
	p, _ := strconv.Atoi(args[3])
	f, err := os.Open(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		id := fields[0]
		if strings.HasSuffix(id, "3") {
			b, _ := json.Marshal(map[string]any{"id": id, "error": "fake failure"})
			fmt.Println(string(b))
			continue
		}
		vals := fields[1:]
		fc := make([]float64, h)
		for j := range fc {
			fc[j], _ = strconv.ParseFloat(vals[len(vals)-p+j%p], 64)
		}
		b, _ := json.Marshal(map[string]any{"id": id, "seconds": 0.5, "cpu_seconds": 0.25, "forecast": fc})
		fmt.Println(string(b))
	}
	return 0
}

// requireData loads the shared M4 Hourly subset. Without it the test is
// skipped, or fails when the environment variable CI is true, since CI must
// provide the data.
func requireData(t testing.TB) *Dataset {
	t.Helper()
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TrainFile)); err != nil {
		msg := fmt.Sprintf("M4 Hourly data not found in %s: %v", dir, err)
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg + " (CI is true, so missing data is a failure)")
		}
		t.Skip(msg)
	}
	ds, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// writeFiles creates a dataset directory with the given files.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
