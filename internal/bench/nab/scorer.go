package nab

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Probationary period: the first min(floor(probationFraction·n),
// probationFraction·5000) rows of an n-row file are not scored.
const probationFraction = 0.15

// noDetection is where the threshold sweep starts: no score reaches it, so
// nothing is flagged.
const noDetection = 1.1

// probation returns the number of leading rows of an n-row file that are not
// scored.
func probation(n int) int {
	return min(int(math.Floor(probationFraction*float64(n))), int(probationFraction*5000))
}

// scaledSigmoid is NAB's weighting of a detection at relative position y:
// about 1 at the start of a window (y = -1), 0 at its end (y = 0) and down
// to -1 for detections well after it (y ≥ 3).
func scaledSigmoid(y float64) float64 {
	if y >= 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

// Result is the score of a detector's anomaly scores under one profile at
// one threshold.
type Result struct {
	// Threshold is the anomaly score at and above which a row is a detection.
	Threshold float64
	// Raw is NAB's unnormalised score: the sum of the weighted detections
	// and missed windows.
	Raw float64
	// Normalized is 100·(Raw - null)/(perfect - null): 0 for a detector that
	// flags nothing and 100 for one that flags the start of every window and
	// nothing else.
	Normalized float64
	// Detected and Missed count windows with and without a scored detection.
	Detected, Missed int
	// FalsePositives counts detections outside every window.
	FalsePositives int
}

// scoredRow is a row outside the probationary period with its detector
// score and the weight a detection at the row gets.
type scoredRow struct {
	score  float64
	weight float64
	window int // the corpus-wide index of the row's window, or -1
}

// sweepRows returns the scorable rows of the corpus under cm, in corpus
// order, and the number of windows. A detection inside a window [L, R] at
// row i weighs scaledSigmoid(-(R-i+1)/(R-L+1))·A_TP/scaledSigmoid(-1); one
// outside weighs -A_FP before the file's first window has ended and
// scaledSigmoid(|i-R|/(R-L))·A_FP after a window [L, R] has ended (-A_FP if
// that window is a single row, where NAB divides by zero).
func sweepRows(c *Corpus, scores [][]float64, cm CostMatrix) ([]scoredRow, int, error) {
	if len(scores) != len(c.Files) {
		return nil, 0, fmt.Errorf("%d score series for %d files", len(scores), len(c.Files))
	}
	maxTP := scaledSigmoid(-1)
	rows := make([]scoredRow, 0, c.Rows())
	windowBase := 0
	for fi, f := range c.Files {
		s := scores[fi]
		if len(s) != len(f.Values) {
			return nil, 0, fmt.Errorf("%s: %d scores for %d rows", f.Name, len(s), len(f.Values))
		}
		prob := probation(len(s))
		w := 0           // the next window to enter
		in := -1         // the window the row is in, or -1
		prev := Window{} // the last window that ended
		havePrev := false
		for i, score := range s {
			if math.IsNaN(score) {
				return nil, 0, fmt.Errorf("%s: row %d: score is NaN", f.Name, i)
			}
			if in < 0 && w < len(f.Windows) && i == f.Windows[w].Start {
				in = w
				w++
			}
			var r scoredRow
			if in >= 0 {
				win := f.Windows[in]
				pos := -float64(win.End-i+1) / float64(win.End-win.Start+1)
				r = scoredRow{score: score, weight: scaledSigmoid(pos) * cm.TP / maxTP, window: windowBase + in}
			} else {
				pos := 3.0
				if havePrev {
					pos = math.Inf(1)
					if width := prev.End - prev.Start; width > 0 {
						pos = math.Abs(float64(prev.End-i)) / float64(width)
					}
				}
				r = scoredRow{score: score, weight: scaledSigmoid(pos) * cm.FP, window: -1}
			}
			if i >= prob {
				rows = append(rows, r)
			}
			if in >= 0 && i == f.Windows[in].End {
				prev, havePrev, in = f.Windows[in], true, -1
			}
		}
		windowBase += len(f.Windows)
	}
	return rows, windowBase, nil
}

// tally accumulates detections in the order of falling scores.
type tally struct {
	cm       CostMatrix
	best     []float64 // per window: the best detection weight, or -A_FN
	detected []bool    // per window: has a detection
	scorable []bool    // per window: has rows after the probationary period
	fp       float64   // the sum of the false-positive weights
	res      Result
}

func newTally(rows []scoredRow, windows int, cm CostMatrix) *tally {
	t := &tally{cm: cm, best: make([]float64, windows), detected: make([]bool, windows), scorable: make([]bool, windows)}
	for _, r := range rows {
		if r.window >= 0 {
			t.scorable[r.window] = true
		}
	}
	for w := range t.best {
		t.best[w] = -cm.FN
	}
	return t
}

func (t *tally) add(r scoredRow) {
	if r.window < 0 {
		t.fp += r.weight
		t.res.FalsePositives++
		return
	}
	t.best[r.window] = max(t.best[r.window], r.weight)
	t.detected[r.window] = true
}

// total is the raw score so far. Windows that lie wholly in a probationary
// period are not scored, as in NAB.
func (t *tally) total() float64 {
	s := t.fp
	for w, b := range t.best {
		if t.scorable[w] {
			s += b
		}
	}
	return s
}

// result completes the tally at threshold th.
func (t *tally) result(th float64) Result {
	r := t.res
	r.Threshold = th
	r.Raw = t.total()
	r.Normalized = normalize(r.Raw, len(t.best), t.cm)
	for w, d := range t.detected {
		if !t.scorable[w] {
			continue
		}
		if d {
			r.Detected++
		} else {
			r.Missed++
		}
	}
	return r
}

// normalize maps a raw score to NAB's scale, on which the null detector
// (which never detects: -A_FN per window) scores 0 and the perfect one
// (A_TP per window) 100.
func normalize(raw float64, windows int, cm CostMatrix) float64 {
	perfect := cm.TP * float64(windows)
	null := -cm.FN * float64(windows)
	return 100 * (raw - null) / (perfect - null)
}

// errNoWindows is returned when a corpus cannot be normalised.
var errNoWindows = errors.New("the corpus has no labelled windows, so no score can be normalised")

// Optimize returns the score under cm at NAB's corpus-wide optimal
// threshold: the sweep starts at 1.1 (nothing flagged) and lowers the
// threshold to each distinct score from the highest down, flagging the rows
// at or above it; the first threshold with the highest raw score wins.
// scores holds one score per row for every file of c, in c's order.
func Optimize(c *Corpus, scores [][]float64, cm CostMatrix) (Result, error) {
	rows, windows, err := sweepRows(c, scores, cm)
	if err != nil {
		return Result{}, err
	}
	if windows == 0 {
		return Result{}, errNoWindows
	}
	slices.SortStableFunc(rows, func(a, b scoredRow) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	t := newTally(rows, windows, cm)
	best := t.result(noDetection)
	cur := noDetection
	for _, r := range rows {
		if r.score != cur {
			if raw := t.total(); raw > best.Raw {
				best = t.result(cur)
			}
			cur = r.score
		}
		t.add(r)
	}
	if raw := t.total(); raw > best.Raw {
		best = t.result(cur)
	}
	return best, nil
}

// ScoreAt returns the score under cm when every row whose score is at or
// above threshold is a detection.
func ScoreAt(c *Corpus, scores [][]float64, cm CostMatrix, threshold float64) (Result, error) {
	rows, windows, err := sweepRows(c, scores, cm)
	if err != nil {
		return Result{}, err
	}
	if windows == 0 {
		return Result{}, errNoWindows
	}
	t := newTally(rows, windows, cm)
	for _, r := range rows {
		if r.score >= threshold {
			t.add(r)
		}
	}
	return t.result(threshold), nil
}
