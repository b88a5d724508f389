package detect

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// iforestRows returns n rows of d independent standard normal features.
func iforestRows(n, d int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			rows[i][j] = r.NormFloat64()
		}
	}
	return rows
}

func fittedForest(t testing.TB, cfg IForestConfig, rows [][]float64) *IsolationForest {
	t.Helper()
	f, err := NewIsolationForest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Fit(rows); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAveragePathLength(t *testing.T) {
	f := func(n int, want float64) {
		t.Helper()
		if got := averagePathLength(n); math.Abs(got-want) > 1e-12 {
			t.Errorf("c(%d) = %.15g, want %.15g", n, got, want)
		}
	}
	f(0, 0)
	f(1, 0)
	f(2, 1)
	f(3, 2*(1+1.0/2)-2*2.0/3)                // 5/3
	f(4, 2*(1+1.0/2+1.0/3)-2*3.0/4)          // 13/6
	f(5, 2*(1+1.0/2+1.0/3+1.0/4)-2*4.0/5)    // 77/30
	f(256, 2*exactHarmonic(255)-2*255.0/256) // ≈ 10.2448
	// The asymptotic expansion takes over from the exact sum seamlessly.
	for _, n := range []int{64, 65, 66, 100, 1000, 100000} {
		if got, want := harmonic(n), exactHarmonic(n); math.Abs(got-want) > 1e-14*want {
			t.Errorf("harmonic(%d) = %.17g, want %.17g", n, got, want)
		}
	}
	// It is close to scikit-learn's approximation 2(ln(n-1) + γ) - 2(n-1)/n.
	if got, sk := averagePathLength(256), 2*(math.Log(255)+0.5772156649)-2*255.0/256; math.Abs(got-sk) > 0.005 {
		t.Errorf("c(256) = %g, scikit-learn's approximation %g", got, sk)
	}
}

func exactHarmonic(n int) float64 {
	var h float64
	for k := n; k >= 1; k-- {
		h += 1 / float64(k)
	}
	return h
}

func TestDepthLimit(t *testing.T) {
	for psi, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3, 255: 8, 256: 8, 257: 9} {
		if got := depthLimit(psi); got != want {
			t.Errorf("depthLimit(%d) = %d, want %d", psi, got, want)
		}
	}
}

func TestIForestTinyKnownScores(t *testing.T) {
	// Two rows: every tree splits the root once, leaving one row in each
	// leaf at depth 1, so E[h] = 1 = c(2) and every score is 2^-1.
	f := fittedForest(t, IForestConfig{Trees: 10, SampleSize: 256, Seed: 1}, [][]float64{{0, 0}, {1, 5}})
	for _, row := range [][]float64{{0, 0}, {1, 5}, {100, -100}, {0.5, math.NaN()}} {
		if got := f.Score(row); got != 0.5 {
			t.Errorf("Score(%v) = %g, want 0.5", row, got)
		}
	}
	// Identical rows cannot be split: the root is a leaf of three rows, so
	// h = c(3) and every score is again 2^-1.
	f = fittedForest(t, IForestConfig{Trees: 3, SampleSize: 256, Seed: 1}, [][]float64{{7}, {7}, {7}})
	if got, want := f.PathLength([]float64{-3}), 5.0/3; math.Abs(got-want) > 1e-15 {
		t.Errorf("PathLength = %g, want c(3) = %g", got, want)
	}
	if got := f.Score([]float64{42}); math.Abs(got-0.5) > 1e-15 {
		t.Errorf("Score = %g, want 0.5", got)
	}
	// Three distinct rows on a line: a row beyond the smallest always follows
	// the smallest row, which the root isolates with probability
	// (1-0)/(10-0) and otherwise the depth-1 split does; so its path length
	// per tree is 1 or 2, and E[h] tends to 1.9.
	f = fittedForest(t, IForestConfig{Trees: 20000, SampleSize: 3, Seed: 2}, [][]float64{{0}, {1}, {10}})
	if got := f.PathLength([]float64{-5}); math.Abs(got-1.9) > 0.01 {
		t.Errorf("PathLength(-5) = %g, want about 1.9", got)
	}
}

func TestIForestOutlierScoresHigher(t *testing.T) {
	rows := iforestRows(2000, 3, 1)
	f := fittedForest(t, IForestConfig{Trees: 100, SampleSize: 256, Seed: 7}, rows)
	var mean float64
	for _, r := range rows[:200] {
		mean += f.Score(r)
	}
	mean /= 200
	out := f.Score([]float64{6, -6, 6})
	if !(out > 0.7) || !(mean < 0.5) || out < mean+0.25 {
		t.Fatalf("outlier score %g, mean inlier score %g", out, mean)
	}
	if s := f.Score([]float64{0, 0, 0}); s > mean {
		t.Errorf("score of the centre %g above the mean inlier score %g", s, mean)
	}
}

func TestIForestDeterministic(t *testing.T) {
	rows := iforestRows(1000, 4, 2)
	probe := iforestRows(50, 4, 3)
	cfg := IForestConfig{Trees: 50, SampleSize: 128, Seed: 99}
	a, b := fittedForest(t, cfg, rows), fittedForest(t, cfg, rows)
	cfg.Seed++
	c := fittedForest(t, cfg, rows)
	differ := false
	for _, r := range probe {
		sa, sb, sc := a.Score(r), b.Score(r), c.Score(r)
		if sa != sb {
			t.Fatalf("same seed, scores %g and %g", sa, sb)
		}
		differ = differ || sa != sc
	}
	if !differ {
		t.Error("different seeds gave identical scores")
	}
	// Fitting again restarts the random stream.
	before := a.Score(probe[0])
	if err := a.Fit(rows); err != nil {
		t.Fatal(err)
	}
	if after := a.Score(probe[0]); after != before {
		t.Errorf("refit on the same rows: score %g, was %g", after, before)
	}
}

func TestIForestScoreDoesNotAllocate(t *testing.T) {
	f := fittedForest(t, DefaultIForestConfig(), iforestRows(1000, 8, 4))
	row := iforestRows(1, 8, 5)[0]
	if n := testing.AllocsPerRun(100, func() { f.Score(row) }); n != 0 {
		t.Errorf("Score allocates %g times", n)
	}
}

func TestIForestScoreAll(t *testing.T) {
	rows := iforestRows(300, 3, 12)
	f := fittedForest(t, IForestConfig{Trees: 13, SampleSize: 64, Seed: 5}, rows)
	out := f.ScoreAll(rows, make([]float64, 7))
	if len(out) != len(rows) {
		t.Fatalf("ScoreAll returned %d scores for %d rows", len(out), len(rows))
	}
	for i, r := range rows {
		s := f.Score(r)
		if out[i] != s || !(s > 0 && s <= 1) {
			t.Fatalf("row %d: ScoreAll %g, Score %g", i, out[i], s)
		}
		// The walk of fixed depth agrees with the plain walk to the leaf.
		var sum float64
		for _, root := range f.roots {
			i := root
			for n := &f.nodes[i]; !n.isLeaf(i); n = &f.nodes[i] {
				if r[n.feature] <= n.value {
					i++
				} else {
					i = n.right
				}
			}
			sum += f.length[i]
		}
		if got, want := f.PathLength(r), sum/float64(len(f.roots)); math.Abs(got-want) > 1e-12 {
			t.Fatalf("row %d: path length %g, plain walk %g", i, got, want)
		}
	}
}

func TestIForestExplain(t *testing.T) {
	rows := iforestRows(2000, 5, 6)
	f := fittedForest(t, IForestConfig{Trees: 200, SampleSize: 256, Seed: 3}, rows)
	row := []float64{0.1, -0.2, 7, 0.3, 0}
	ex, err := f.Explain(row)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 5 || ex[0].Feature != 2 || ex[0].Share < 0.6 {
		t.Fatalf("Explain = %+v, want feature 2 first with most of the share", ex)
	}
	var depth, share float64
	for i, c := range ex {
		depth += c.Depth
		share += c.Share
		if i > 0 && c.Depth > ex[i-1].Depth {
			t.Errorf("contributions out of order: %+v", ex)
		}
	}
	// The contributions decompose the shortening of the path exactly.
	if want := averagePathLength(256) - f.PathLength(row); math.Abs(depth-want) > 1e-9 {
		t.Errorf("sum of depths %g, want c(256) - E[h] = %g", depth, want)
	}
	if math.Abs(share-1) > 1e-12 {
		t.Errorf("shares sum to %g", share)
	}
}

func TestIForestErrors(t *testing.T) {
	if _, err := NewIsolationForest(IForestConfig{Trees: 0, SampleSize: 256}); err == nil || !strings.Contains(err.Error(), "trees") {
		t.Errorf("zero trees: %v", err)
	}
	if _, err := NewIsolationForest(IForestConfig{Trees: 1, SampleSize: 1}); err == nil || !strings.Contains(err.Error(), "sample size") {
		t.Errorf("sample size 1: %v", err)
	}
	if _, err := NewIsolationForest(IForestConfig{Trees: 1000, SampleSize: 1 << 24}); err == nil || !strings.Contains(err.Error(), "nodes") {
		t.Errorf("too many nodes: %v", err)
	}
	f, err := NewIsolationForest(DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Explain([]float64{1}); !errors.Is(err, ErrNotFitted) {
		t.Errorf("Explain before Fit: %v", err)
	}
	for _, tc := range []struct {
		name string
		rows [][]float64
		want string
	}{
		{"one row", [][]float64{{1}}, "at least 2"},
		{"no features", [][]float64{{}, {}}, "no features"},
		{"ragged", [][]float64{{1, 2}, {3}}, "row 1 has 1 features"},
		{"NaN", [][]float64{{1, 2}, {3, math.NaN()}}, "row 1 feature 1"},
		{"Inf", [][]float64{{math.Inf(-1), 2}, {3, 4}}, "row 0 feature 0"},
	} {
		if err := f.Fit(tc.rows); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Fit error %v, want one containing %q", tc.name, err, tc.want)
		}
		if f.Dims() != 0 {
			t.Errorf("%s: failed Fit left the forest fitted", tc.name)
		}
	}
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		fn()
	}
	mustPanic("Score before Fit", func() { f.Score([]float64{1}) })
	if err := f.Fit([][]float64{{1, 2}, {3, 4}}); err != nil {
		t.Fatal(err)
	}
	mustPanic("Score of a short row", func() { f.Score([]float64{1}) })
	if _, err := f.Explain([]float64{1}); err == nil {
		t.Error("Explain of a short row: no error")
	}
}

func TestStreamingIForest(t *testing.T) {
	cfg := DefaultStreamingIForestConfig()
	cfg.Forest.Trees = 50
	cfg.Window, cfg.RefitEvery = 512, 100
	newStream := func() *StreamingIForest {
		s, err := NewStreamingIForest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newStream(), newStream()
	rows := iforestRows(1500, 3, 8)
	rows[1000] = []float64{8, 8, -8}
	rows[1001] = []float64{1, math.Inf(1), 0}
	var outlier, inliers float64
	for i, r := range rows {
		sa, ready, err := a.Observe(r)
		if err != nil {
			t.Fatal(err)
		}
		if sb, _, _ := b.Observe(r); sa != sb {
			t.Fatalf("row %d: replay scored %g, first run %g", i, sb, sa)
		}
		if wantReady := i >= cfg.Forest.SampleSize-1; ready != wantReady {
			t.Fatalf("row %d: ready %v", i, ready)
		}
		switch {
		case i == 1000:
			outlier = sa
		case i > 1000:
			inliers += sa / float64(len(rows)-1001)
		}
	}
	if !(outlier > 0.7) || !(inliers < 0.5) {
		t.Fatalf("outlier %g, mean inlier %g", outlier, inliers)
	}
	for _, r := range a.rows {
		if r[0] == 8 || math.IsInf(r[1], 0) {
			t.Fatalf("the window learned the anomalous or non-finite row %v", r)
		}
	}
	if a.Forest() == nil || len(a.rows) != cfg.Window {
		t.Errorf("forest %v, window of %d rows", a.Forest(), len(a.rows))
	}
	if _, _, err := a.Observe([]float64{1, 2}); err == nil {
		t.Error("a row of another length: no error")
	}
	bad := cfg
	bad.Window = 10
	if _, err := NewStreamingIForest(bad); err == nil {
		t.Error("window below the sample size: no error")
	}
}

func BenchmarkIForestFit(b *testing.B) {
	rows := iforestRows(20000, 8, 9)
	f, err := NewIsolationForest(DefaultIForestConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Fit(rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIForestScore(b *testing.B) {
	rows := iforestRows(20000, 8, 9)
	f := fittedForest(b, DefaultIForestConfig(), rows)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		f.Score(rows[i])
		if i++; i == len(rows) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkStreamingIForest(b *testing.B) {
	rows := iforestRows(20000, 8, 10)
	s, err := NewStreamingIForest(DefaultStreamingIForestConfig())
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Observe(rows[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(rows) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkIForestScoreAll scores 20,000 rows of 8 features per iteration,
// as vigil bench iforest does.
func BenchmarkIForestScoreAll(b *testing.B) {
	rows := iforestRows(20000, 8, 9)
	f := fittedForest(b, DefaultIForestConfig(), rows)
	out := make([]float64, len(rows))
	b.ReportAllocs()
	for b.Loop() {
		out = f.ScoreAll(rows, out)
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}
