package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// taskRow returns the log features of a normal run of a task that reads
// about 10,000 rows, writes what it reads, and takes time proportional to
// it: duration, rows in, rows out.
func taskRow(rng *rand.Rand) []float64 {
	in := 10000 * math.Exp(0.2*rng.NormFloat64())
	out := in * (1 + 0.01*rng.NormFloat64())
	dur := in / 500 * math.Exp(0.1*rng.NormFloat64())
	return []float64{math.Log1p(dur), math.Log1p(in), math.Log1p(out)}
}

func TestGroupDetector(t *testing.T) {
	g, err := NewGroupDetector(DefaultGroupConfig())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alerts, ready := 0, 0
	for i := range 2000 {
		res, err := g.Observe(taskRow(rng))
		if err != nil {
			t.Fatal(err)
		}
		if res.Ready {
			ready++
		}
		if i < 64 && res.Ready {
			t.Fatalf("row %d: ready before the forest and the calibration could form", i)
		}
		if res.Alert {
			alerts++
		}
	}
	if ready < 1900 {
		t.Fatalf("ready on %d of 2000 rows", ready)
	}
	// A threshold at a tail probability of 1e-5 allows no alert on 2000
	// normal rows but the odd one.
	if alerts > 2 {
		t.Fatalf("%d alerts on normal rows", alerts)
	}

	// The task read a lot and wrote an ordinary amount: each value is
	// inside the range of the normal runs, only the combination is not.
	row := taskRow(rng)
	row[1] = math.Log1p(10000 * math.Exp(0.3))
	row[2] = math.Log1p(10000 * math.Exp(-0.1))
	row[0] = math.Log1p(10000 * math.Exp(0.3) / 500)
	res, err := g.Observe(row)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Alert || res.Score < AlertThreshold || res.By != "mahalanobis" {
		t.Fatalf("lost rows not flagged: %+v", res)
	}
	ex, err := g.Explain(row, res.By)
	if err != nil {
		t.Fatal(err)
	}
	if top := ex[0].Feature; top != 1 && top != 2 {
		t.Fatalf("most unusual feature %d, want rows in or out: %+v", top, ex)
	}
	// The anomaly was not learned: the same row still alerts.
	if res, _ := g.Observe(row); !res.Alert {
		t.Fatalf("anomalous row learned: %+v", res)
	}
	// One normal row clears the alert.
	if res, _ := g.Observe(taskRow(rng)); res.Alert {
		t.Fatalf("alert did not clear on a normal row: %+v", res)
	}
}

// TestGroupDetectorEmptyRegion checks the Isolation Forest's part: a task
// that runs either small or large batches, never medium ones. A medium run
// lies on the relation between the series and near their mean, where the
// Mahalanobis distance sees nothing, but in a region no run visits.
func TestGroupDetectorEmptyRegion(t *testing.T) {
	g, err := NewGroupDetector(DefaultGroupConfig())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	row := func(x float64) []float64 {
		return []float64{x + 0.05*rng.NormFloat64(), 2*x + 0.05*rng.NormFloat64()}
	}
	alerts := 0
	for i := range 2000 {
		x := -3 + 0.3*rng.NormFloat64()
		if i%2 == 0 {
			x = 3 + 0.3*rng.NormFloat64()
		}
		res, err := g.Observe(row(x))
		if err != nil {
			t.Fatal(err)
		}
		if res.Alert {
			alerts++
		}
	}
	if alerts > 2 {
		t.Fatalf("%d alerts on normal rows", alerts)
	}
	// The forest ranks the medium run above every normal one; the
	// Mahalanobis distance, blind to it, calls it ordinary. Whether it
	// alerts depends on how sure the tail model can be: a forest's scores
	// are bounded, so its evidence is never as strong as a distance's.
	var maxNormal float64
	for i := range 500 {
		x := -3 + 0.3*rng.NormFloat64()
		if i%2 == 0 {
			x = 3 + 0.3*rng.NormFloat64()
		}
		res, err := g.Observe(row(x))
		if err != nil {
			t.Fatal(err)
		}
		maxNormal = max(maxNormal, res.Raw)
	}
	medium := row(0)
	res, err := g.Observe(medium)
	if err != nil {
		t.Fatal(err)
	}
	if res.By != "iforest" || res.Raw <= maxNormal || res.Score < 0.15 {
		t.Fatalf("a run in the empty middle: %+v; highest normal forest score %g", res, maxNormal)
	}
	ex, err := g.Explain(medium, res.By)
	if err != nil || ex[0].Share <= 0 {
		t.Fatalf("explain: %+v, %v", ex, err)
	}
}

func TestGroupDetectorBadRows(t *testing.T) {
	g, err := NewGroupDetector(DefaultGroupConfig())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		if _, err := g.Observe(taskRow(rng)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Observe([]float64{1, 2}); err == nil {
		t.Fatal("a row of another length was accepted")
	}
	nan := []float64{math.NaN(), 1, 1}
	res, err := g.Observe(nan)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(res.Score) || math.IsNaN(res.Raw) {
		t.Fatalf("NaN verdict: %+v", res)
	}
	if _, err := g.Observe(nil); err == nil {
		t.Fatal("an empty row was accepted")
	}
}

func TestGroupDetectorDeterministic(t *testing.T) {
	run := func() []GroupResult {
		g, err := NewGroupDetector(DefaultGroupConfig())
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		var out []GroupResult
		for i := range 400 {
			row := taskRow(rng)
			if i%97 == 96 {
				row[0] += 2
			}
			res, err := g.Observe(row)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: %+v then %+v", i, a[i], b[i])
		}
	}
}

func TestGroupConfigValidate(t *testing.T) {
	cfg := DefaultGroupConfig()
	cfg.MinHistory = 5
	if _, err := NewGroupDetector(cfg); err == nil {
		t.Fatal("min history 5 accepted")
	}
	cfg = DefaultGroupConfig()
	cfg.History = 20
	if _, err := NewGroupDetector(cfg); err == nil {
		t.Fatal("history below min history accepted")
	}
}

// TestIForestRangeAware checks that a range-aware forest tells a row far
// beyond the data from the data's edge, which a plain forest cannot, and
// scores rows inside the data as the plain forest does.
func TestIForestRangeAware(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var rows [][]float64
	for range 256 {
		x := rng.NormFloat64()
		rows = append(rows, []float64{x, x + 0.1*rng.NormFloat64()})
	}
	plain, _ := NewIsolationForest(IForestConfig{Trees: 100, SampleSize: 64, Seed: 1})
	ranged, _ := NewIsolationForest(IForestConfig{Trees: 100, SampleSize: 64, Seed: 1, RangeAware: true})
	if err := plain.Fit(rows); err != nil {
		t.Fatal(err)
	}
	if err := ranged.Fit(rows); err != nil {
		t.Fatal(err)
	}
	edge := []float64{math.Inf(-1), math.Inf(-1)}
	for _, r := range rows {
		edge[0], edge[1] = max(edge[0], r[0]+0.01), max(edge[1], r[1]+0.01)
	}
	far := []float64{40, 40}
	if plain.Score(edge) != plain.Score(far) {
		t.Fatalf("plain forest: edge %g, far %g: expected the same (saturation)", plain.Score(edge), plain.Score(far))
	}
	if !(ranged.Score(far) > ranged.Score(edge)+0.1) {
		t.Fatalf("range-aware forest: edge %g, far %g", ranged.Score(edge), ranged.Score(far))
	}
	// Rows inside the data mostly stay inside the ranges their walks
	// meet, and score much as before.
	var diff float64
	for _, r := range rows {
		diff += ranged.Score(r) - plain.Score(r)
	}
	if diff /= float64(len(rows)); diff < 0 || diff > 0.01 {
		t.Fatalf("training rows score %g higher on average with RangeAware", diff)
	}
	ex, err := ranged.Explain(far)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, c := range ex {
		sum += c.Depth
	}
	if want := ranged.norm - ranged.PathLength(far); math.Abs(sum-want) > 1e-9 {
		t.Fatalf("contributions sum to %g, want c(ψ)-E[h] = %g", sum, want)
	}
}
