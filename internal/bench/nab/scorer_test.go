package nab

import (
	"math"
	"testing"
)

var standard = CostMatrix{TP: 1, FP: 0.11, FN: 1}

func TestScaledSigmoid(t *testing.T) {
	for _, c := range []struct{ y, want float64 }{
		{-1, 0.9866142981514303},   // the start of a window
		{-0.5, 0.8482836399575129}, // its middle
		{0, 0},                     // its end
		{1, -0.9866142981514303},
		{2.999, -0.9999993851288645},
		{3, -1}, // NAB's sweeper: -1 from 3 on
		{10, -1},
	} {
		if got := scaledSigmoid(c.y); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("scaledSigmoid(%v) = %v, want %v", c.y, got, c.want)
		}
	}
}

func TestProbation(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 0}, {6, 0}, {7, 1}, {100, 15}, {4032, 604}, {4999, 749}, {5000, 750}, {15902, 750}} {
		if got := probation(c.n); got != c.want {
			t.Errorf("probation(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// sweepCorpus is a small corpus whose expected scores were computed with
// NAB's own sweeper (nab/sweeper.py) outside this repository:
//
//   - file a: 100 rows, windows at rows 40-49 and 70-74; a detection in the
//     probationary period (row 10), a false positive before any window (row
//     20), two in the first window (rows 42 and 45, the earlier one
//     counting), a false positive after it (row 55), one in the second
//     window (row 72) and a false positive far after it (row 90);
//   - file b: 20 rows without windows and one false positive (row 10).
func sweepCorpus(t *testing.T) (*Corpus, [][]float64) {
	t.Helper()
	a := make([]float64, 100)
	a[10], a[20], a[45], a[42], a[55], a[72], a[90] = 0.99, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4
	b := make([]float64, 20)
	b[10] = 0.85
	c := &Corpus{Files: []*File{
		{Name: "x/a.csv", Times: seq(100), Values: make([]float64, 100), Windows: []Window{{40, 49}, {70, 74}}},
		{Name: "x/b.csv", Times: seq(20), Values: make([]float64, 20)},
	}}
	return c, [][]float64{a, b}
}

func seq(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i) * 300000
	}
	return s
}

func TestOptimizeMatchesNAB(t *testing.T) {
	c, scores := sweepCorpus(t)
	for _, tc := range []struct {
		name       string
		cm         CostMatrix
		threshold  float64
		raw        float64
		normalized float64
	}{
		{"standard", CostMatrix{TP: 1, FP: 0.11, FN: 1}, 0.5, 1.572113464397579, 89.30283660993948},
		{"reward_low_FP_rate", CostMatrix{TP: 1, FP: 0.22, FN: 1}, 0.5, 1.2496914074441454, 81.24228518610363},
		{"reward_low_FN_rate", CostMatrix{TP: 1, FP: 0.11, FN: 2}, 0.5, 1.572113464397579, 92.86855773995966},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Optimize(c, scores, tc.cm)
			if err != nil {
				t.Fatal(err)
			}
			if r.Threshold != tc.threshold || math.Abs(r.Raw-tc.raw) > 1e-12 || math.Abs(r.Normalized-tc.normalized) > 1e-9 {
				t.Errorf("got threshold %v raw %v normalized %v, want %v %v %v", r.Threshold, r.Raw, r.Normalized, tc.threshold, tc.raw, tc.normalized)
			}
			if r.Detected != 2 || r.Missed != 0 || r.FalsePositives != 3 {
				t.Errorf("got %d detected, %d missed, %d false positives; want 2, 0, 3", r.Detected, r.Missed, r.FalsePositives)
			}
		})
	}
}

func TestScoreAtMatchesNAB(t *testing.T) {
	c, scores := sweepCorpus(t)
	// The raw score at every threshold of NAB's sweep (standard profile).
	for _, tc := range []struct{ threshold, raw float64 }{
		{1.1, -2},
		{0.9, -2.1100000000000003},
		{0.85, -2.2199999999999998},
		{0.8, -0.3602074330902163},
		{0.75, -0.3602074330902163}, // between two scores: as at the next higher one
		{0.7, -0.2428931590773955},
		{0.6, -0.34531521603082904},
		{0.5, 1.572113464397579},
		{0.4, 1.4621134643975788},
		{0.0, -7.275160665785895},
	} {
		r, err := ScoreAt(c, scores, standard, tc.threshold)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Raw-tc.raw) > 1e-12 {
			t.Errorf("ScoreAt(%v) raw = %v, want %v", tc.threshold, r.Raw, tc.raw)
		}
	}
}

func TestOptimizeFirstMaximumWins(t *testing.T) {
	// Rows 42 and 47 are both in the window; lowering the threshold from 0.9
	// to 0.5 adds the later detection, which does not count, so both
	// thresholds score the same and the first (higher) one wins.
	s := make([]float64, 100)
	s[42], s[47] = 0.9, 0.5
	c := &Corpus{Files: []*File{{Name: "x/a.csv", Times: seq(100), Values: make([]float64, 100), Windows: []Window{{40, 49}}}}}
	r, err := Optimize(c, [][]float64{s}, standard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Threshold != 0.9 {
		t.Errorf("threshold %v, want 0.9", r.Threshold)
	}
	at, _ := ScoreAt(c, [][]float64{s}, standard, 0.5)
	if at.Raw != r.Raw {
		t.Errorf("raw at 0.5 = %v, want the same as at 0.9 (%v)", at.Raw, r.Raw)
	}
}

func TestOptimizeNothingBeatsNoDetection(t *testing.T) {
	// A detector that only raises false positives is best left silent: the
	// sweep keeps its starting threshold, 1.1.
	s := make([]float64, 100)
	s[20], s[90] = 0.7, 0.6
	c := &Corpus{Files: []*File{{Name: "x/a.csv", Times: seq(100), Values: make([]float64, 100), Windows: []Window{{40, 49}}}}}
	r, err := Optimize(c, [][]float64{s}, standard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Threshold != 1.1 || r.Raw != -1 || r.Normalized != 0 {
		t.Errorf("got threshold %v raw %v normalized %v, want 1.1, -1, 0", r.Threshold, r.Raw, r.Normalized)
	}
}

func TestNormalizationNullAndPerfect(t *testing.T) {
	c := &Corpus{Files: []*File{{Name: "x/a.csv", Times: seq(100), Values: make([]float64, 100), Windows: []Window{{40, 49}, {70, 74}}}}}
	null := make([]float64, 100)
	perfect := make([]float64, 100)
	perfect[40], perfect[70] = 1, 1
	for _, cm := range []CostMatrix{standard, {TP: 1, FP: 0.22, FN: 1}, {TP: 1, FP: 0.11, FN: 2}} {
		n, _ := Optimize(c, [][]float64{null}, cm)
		p, _ := Optimize(c, [][]float64{perfect}, cm)
		if n.Normalized != 0 || math.Abs(p.Normalized-100) > 1e-9 {
			t.Errorf("%+v: null %v, perfect %v; want 0 and 100", cm, n.Normalized, p.Normalized)
		}
	}
}

func TestWindowInProbationIsNotScored(t *testing.T) {
	// 100 rows: rows 0-14 are probationary, and so is the whole first
	// window; NAB leaves such a window out of the raw score.
	s := make([]float64, 100)
	c := &Corpus{Files: []*File{{Name: "x/a.csv", Times: seq(100), Values: make([]float64, 100), Windows: []Window{{2, 5}, {40, 49}}}}}
	r, err := ScoreAt(c, [][]float64{s}, standard, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if r.Raw != -1 || r.Missed != 1 {
		t.Errorf("raw %v, missed %d; want -1 and 1", r.Raw, r.Missed)
	}
}

func TestScorerErrors(t *testing.T) {
	c, scores := sweepCorpus(t)
	if _, err := Optimize(c, scores[:1], standard); err == nil {
		t.Error("want an error for too few score series")
	}
	short := [][]float64{scores[0][:99], scores[1]}
	if _, err := ScoreAt(c, short, standard, 0.5); err == nil {
		t.Error("want an error for a score series shorter than its file")
	}
	bad := [][]float64{append([]float64(nil), scores[0]...), scores[1]}
	bad[0][50] = math.NaN()
	if _, err := Optimize(c, bad, standard); err == nil {
		t.Error("want an error for a NaN score")
	}
	none := &Corpus{Files: []*File{c.Files[1]}}
	if _, err := Optimize(none, scores[1:], standard); err == nil {
		t.Error("want an error for a corpus without windows")
	}
}
