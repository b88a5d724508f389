package detect

import (
	"fmt"
	"math"
	"slices"
)

// GroupConfig configures a GroupDetector.
type GroupConfig struct {
	// Forest is the streaming forest that scores the rows.
	Forest StreamingIForestConfig
	// History is the number of recent out-of-sample scores of normal rows
	// the calibration keeps.
	History int
	// MinHistory is the number of such scores needed before a row can be
	// called anomalous.
	MinHistory int
}

// DefaultGroupConfig suits groups that report rarely, such as the metrics
// of a pipeline task that runs hourly: a forest of 100 trees on samples of
// 32 rows from a window of the 256 most recent normal rows, refitted every
// 32 rows, and a calibration on the last 256 scores that speaks after 32.
// An hourly task is thus judged after about three days.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		Forest:     StreamingIForestConfig{Forest: IForestConfig{Trees: 100, SampleSize: 32, RangeAware: true}, Window: 256, RefitEvery: 32, NormalBelow: 0.6},
		History:    256,
		MinHistory: 64,
	}
}

// Validate reports whether the configuration is usable.
func (c GroupConfig) Validate() error {
	if err := c.Forest.Validate(); err != nil {
		return err
	}
	if c.MinHistory < 10 || c.History < c.MinHistory {
		return fmt.Errorf("group detector: history %d, min history %d: need 10 <= min history <= history", c.History, c.MinHistory)
	}
	return nil
}

// GroupResult is a GroupDetector's verdict on one row.
type GroupResult struct {
	// Raw is the Isolation Forest's score of the row, in (0, 1].
	Raw float64
	// Distance is the row's squared Mahalanobis distance from the recent
	// normal rows.
	Distance float64
	// Score maps the calibrated tail probability p of the stronger of the
	// two pieces of evidence to [0, 1] as the Ensemble does: -log10(p)/10,
	// capped at 1.
	Score float64
	// By names the evidence that gave the score: "iforest" or
	// "mahalanobis".
	By string
	// Alert turns on when Score reaches AlertThreshold and off once a row
	// scores under half of it.
	Alert bool
	// Ready is false while the forest or the calibration is still forming;
	// the score is then zero.
	Ready bool
}

// GroupDetector detects anomalies in rows of related series observed
// together, such as every metric of one run of a pipeline task, with two
// complementary pieces of evidence computed on a window of recent normal
// rows:
//
//   - an Isolation Forest (StreamingIForest), which finds rows in empty
//     regions of any shape, such as a mode the group never visits;
//   - the squared Mahalanobis distance from the window's mean under its
//     covariance, which finds rows that break a linear relation between
//     the series (many rows read, few written; long runs for few rows)
//     even when each value alone is ordinary. Axis-parallel isolation trees
//     are blind to those: a row off the diagonal of two correlated series
//     scores like the ordinary extremes along it.
//
// Each raw statistic is calibrated into a tail probability against the
// values it gave the recent normal rows before they were learned (out of
// sample, as the new row is): a peaks-over-threshold model whose threshold
// is their 90th percentile and whose tail above it is exponential with the
// mean excess. The alert level thus adapts to each group, and the two
// pieces of evidence become comparable; the stronger one counts.
//
// It is deterministic and strictly causal, and not safe for concurrent use.
type GroupDetector struct {
	cfg                  GroupConfig
	forest               *StreamingIForest
	fits                 uint64 // The forest's fits when the covariance was last taken.
	mean                 []float64
	inv                  []float64 // Inverse covariance, row-major; nil until the first fit.
	forestHist, distHist history
	on                   bool
}

// history is a ring of a statistic's out-of-sample values on normal rows.
type history struct {
	values []float64
	next   int
	sorted []float64 // Scratch for the quantiles.
}

func (h *history) add(v float64, capacity int) {
	if len(h.values) < capacity {
		h.values = append(h.values, v)
		return
	}
	h.values[h.next] = v
	h.next = (h.next + 1) % capacity
}

// logP returns ln P(V >= v) under the tail model of the history.
func (h *history) logP(v float64) float64 {
	h.sorted = append(h.sorted[:0], h.values...)
	slices.Sort(h.sorted)
	n := len(h.sorted)
	const q = 0.1 // The tail is the top 10%.
	k := max(int(math.Ceil(q*float64(n))), 3)
	u := h.sorted[n-k-1]
	if v <= u {
		// Inside the body: the empirical share of values at least as high.
		i, _ := slices.BinarySearch(h.sorted, v)
		return math.Log(float64(n-i+1) / float64(n+1))
	}
	var excess float64
	for _, s := range h.sorted[n-k:] {
		excess += s - u
	}
	// A floor on the mean excess keeps a group whose normal values are
	// nearly equal from calling the smallest difference an anomaly.
	excess = max(excess/float64(k), 0.01*math.Abs(u), 1e-9)
	return math.Log(float64(k)/float64(n+1)) - (v-u)/excess
}

// NewGroupDetector returns an empty GroupDetector.
func NewGroupDetector(cfg GroupConfig) (*GroupDetector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f, err := NewStreamingIForest(cfg.Forest)
	if err != nil {
		return nil, err
	}
	return &GroupDetector{cfg: cfg, forest: f}, nil
}

// Observe scores row, learns it if it is normal, and returns the verdict.
// Rows with a NaN or infinite value are scored, never learned. A row whose
// length differs from the first row's is an error.
func (g *GroupDetector) Observe(row []float64) (GroupResult, error) {
	raw, ready, err := g.forest.Score(row)
	if err != nil {
		return GroupResult{}, err
	}
	res := GroupResult{Raw: raw, Alert: g.on}
	if ready {
		if g.fits != g.forest.fits {
			g.fits = g.forest.fits
			g.covariance()
		}
		res.Distance = g.distance(row, nil)
	}
	if ready && len(g.forestHist.values) >= g.cfg.MinHistory {
		res.Ready = true
		lf, ld := g.forestHist.logP(logit(raw)), g.distHist.logP(res.Distance)
		res.By = "iforest"
		if ld < lf || math.IsNaN(lf) {
			res.By, lf = "mahalanobis", ld
		}
		// Two tests, the smaller p counts: Bonferroni's correction.
		lf = min(lf+math.Ln2, 0)
		if math.IsNaN(lf) {
			lf = 0
		}
		res.Score = min(1, -lf/math.Ln10/scoreDecades)
		switch {
		case res.Score >= AlertThreshold:
			g.on = true
		case res.Score < AlertThreshold/2:
			g.on = false
		}
		res.Alert = g.on
	}
	// A row found normal is learned and calibrates later ones; an
	// anomalous one must neither become normal nor raise the bar for the
	// next anomaly. Until the calibration has formed, the forest's own
	// cut decides; after, the calibrated score does, so that the history
	// is not cut short of the normal rows that score high.
	normal := !ready || raw < g.cfg.Forest.NormalBelow
	if res.Ready {
		normal = res.Score < AlertThreshold/2
	}
	g.forest.Learn(row, normal)
	if ready && (normal || !res.Ready) && finiteRow(row) {
		g.forestHist.add(logit(raw), g.cfg.History)
		g.distHist.add(res.Distance, g.cfg.History)
	}
	return res, nil
}

// logit maps a forest score in (0, 1] to the real line, where the tail
// model's exponential tail fits better than on the bounded score.
func logit(s float64) float64 {
	s = min(s, 1-1e-9)
	return math.Log(s / (1 - s))
}

// covariance takes the mean and the inverse covariance of the forest's
// window. A ridge of 1% of each variance (and a tiny absolute one) keeps
// the inverse finite when series are constant or exactly collinear.
func (g *GroupDetector) covariance() {
	rows := g.forest.rows
	d := g.forest.dims
	g.mean = slices.Grow(g.mean[:0], d)[:d]
	clear(g.mean)
	for _, r := range rows {
		for j, v := range r {
			g.mean[j] += v
		}
	}
	for j := range g.mean {
		g.mean[j] /= float64(len(rows))
	}
	cov := make([]float64, d*d)
	for _, r := range rows {
		for i := range d {
			di := r[i] - g.mean[i]
			for j := range d {
				cov[i*d+j] += di * (r[j] - g.mean[j])
			}
		}
	}
	for i := range cov {
		cov[i] /= float64(len(rows))
	}
	for i := range d {
		cov[i*d+i] += 0.01*cov[i*d+i] + 1e-12
	}
	g.inv = invertSPD(cov, d)
}

// distance returns the squared Mahalanobis distance of row; with contrib
// of length dims it also writes each feature's share of it,
// z_j·(Σ⁻¹z)_j, which sums to the distance.
func (g *GroupDetector) distance(row, contrib []float64) float64 {
	if g.inv == nil {
		return 0
	}
	d := len(g.mean)
	var dist float64
	for i := range d {
		zi := row[i] - g.mean[i]
		var s float64
		for j := range d {
			s += g.inv[i*d+j] * (row[j] - g.mean[j])
		}
		if contrib != nil {
			contrib[i] = zi * s
		}
		dist += zi * s
	}
	if math.IsNaN(dist) || dist < 0 {
		return math.Inf(1)
	}
	return dist
}

// invertSPD inverts a symmetric positive definite d×d matrix through its
// Cholesky factor; it returns nil if the matrix is not positive definite.
func invertSPD(a []float64, d int) []float64 {
	l := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			s := a[i*d+j]
			for k := range j {
				s -= l[i*d+k] * l[j*d+k]
			}
			if i == j {
				if !(s > 0) {
					return nil
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	inv := make([]float64, d*d)
	col := make([]float64, d)
	for c := range d {
		// Solve L y = e_c, then Lᵀ x = y.
		clear(col)
		col[c] = 1
		for i := range d {
			s := col[i]
			for k := range i {
				s -= l[i*d+k] * col[k]
			}
			col[i] = s / l[i*d+i]
		}
		for i := d - 1; i >= 0; i-- {
			s := col[i]
			for k := i + 1; k < d; k++ {
				s -= l[k*d+i] * col[k]
			}
			col[i] = s / l[i*d+i]
		}
		for i := range d {
			inv[i*d+c] = col[i]
		}
	}
	return inv
}

// Explain says which features made row unusual, the most unusual first,
// by the evidence that scored it: the Isolation Forest's contributions, or
// each feature's share of the Mahalanobis distance. It returns
// ErrNotFitted before the forest exists.
func (g *GroupDetector) Explain(row []float64, by string) ([]FeatureContribution, error) {
	f := g.forest.Forest()
	if f == nil {
		return nil, ErrNotFitted
	}
	if by != "mahalanobis" || g.inv == nil {
		return f.Explain(row)
	}
	if len(row) != len(g.mean) {
		return nil, fmt.Errorf("group detector: explain: row has %d features, earlier rows had %d", len(row), len(g.mean))
	}
	contrib := make([]float64, len(row))
	g.distance(row, contrib)
	return contributions(contrib), nil
}
