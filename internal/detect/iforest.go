package detect

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// IForestConfig configures an IsolationForest.
type IForestConfig struct {
	// Trees is the number of isolation trees; 100 is the usual choice.
	Trees int
	// SampleSize is the number of rows, drawn without replacement, that
	// each tree is grown on; when Fit is given fewer rows, every tree uses
	// all of them. 256 is the usual choice.
	SampleSize int
	// Seed makes the forest reproducible: the same seed and the same rows
	// always grow the same forest.
	Seed uint64
	// RangeAware isolates a row at the first node where its value of the
	// split feature lies outside the range of the training rows that
	// reached the node. Without it, a row far outside a cluster follows the
	// cluster's most extreme training row and scores no higher than that
	// row does, so the forest cannot tell a row beyond the edge of the data
	// from the edge itself. It costs two values per node and a slower walk;
	// scikit-learn's forest, which the benchmark compares with, has no
	// such option.
	RangeAware bool
}

// DefaultIForestConfig returns the configuration of Liu, Ting and Zhou
// (2008): 100 trees grown on samples of 256 rows.
func DefaultIForestConfig() IForestConfig {
	return IForestConfig{Trees: 100, SampleSize: 256}
}

// Validate reports whether the configuration can grow a forest.
func (c IForestConfig) Validate() error {
	if c.Trees < 1 {
		return fmt.Errorf("iforest: trees %d: must be at least 1", c.Trees)
	}
	if c.SampleSize < 2 || c.SampleSize > maxIForestSampleSize {
		return fmt.Errorf("iforest: sample size %d: must be between 2 and %d", c.SampleSize, maxIForestSampleSize)
	}
	if nodes := int64(c.Trees) * int64(2*c.SampleSize-1); nodes > math.MaxInt32 {
		return fmt.Errorf("iforest: %d trees of %d rows: up to %d nodes, more than the %d the layout holds", c.Trees, c.SampleSize, nodes, math.MaxInt32)
	}
	return nil
}

// maxIForestSampleSize bounds the sample size so that one tree's node
// indices fit the flat tree layout's int32 fields with room to spare;
// Validate also bounds the nodes of the whole forest.
const maxIForestSampleSize = 1 << 24

// ErrNotFitted is returned by the methods of an IsolationForest that need a
// fitted forest when Fit has not yet succeeded.
var ErrNotFitted = errors.New("iforest: not fitted")

// iforestPCGStream is the second word of every forest's PCG state, so that
// the seed alone chooses the random stream.
const iforestPCGStream = 0x6966_6f72_6573_7431

// ifNode is one node of an isolation tree in the forest's flat layout of 16
// bytes a node. Trees are stored depth first, so the left child of an
// internal node is the next node; right is the index of the right child.
// Rows whose feature value is at most value go left, others (NaN included)
// go right.
//
// A leaf is its own right child and has the split value NaN, which sends
// every row right: a row that reaches a leaf stays there. So every walk can
// take exactly as many steps as the depth limit, without testing for leaves,
// which lets the compiler use conditional moves instead of branches that
// the processor cannot predict.
type ifNode struct {
	value   float64
	feature int32
	right   int32
}

// isLeaf reports whether n, the node at index i, is a leaf.
func (n *ifNode) isLeaf(i int32) bool { return n.right == i }

// IsolationForest is the Isolation Forest of Liu, Ting and Zhou (2008) for
// rows of related measurements, such as all the metrics of one pipeline at
// one time: a row that few random axis-parallel splits isolate from the
// training rows is anomalous.
//
// Fit grows the forest; Score and Explain may then be called from several
// goroutines at once, but Fit must not run concurrently with them. Scoring
// does not allocate.
type IsolationForest struct {
	cfg IForestConfig
	// dims is the number of features of every row; zero before Fit.
	dims int
	// norm is c(ψ) of the sample size ψ the trees were grown on.
	norm float64
	// limit is the depth limit of the trees: every walk takes limit steps.
	limit int
	// nodes holds every tree, depth first; roots[t] is tree t's root.
	nodes []ifNode
	roots []int32
	// length[i] is, for a leaf i, the path length of a row that reaches it:
	// its depth plus c(size), the average depth still needed to isolate a
	// row among the size training rows that reached the leaf.
	length []float64
	// expect[i] is c(size) of the training rows that reached node i; it is
	// used only to explain scores.
	expect []float64
	// bounds[2i] and bounds[2i+1] are, with RangeAware, the range of the
	// split feature among the training rows that reached node i.
	bounds []float64

	// Scratch space reused by successive fits.
	perm, work, feats []int
	rng               *rand.Rand
	pcg               *rand.PCG
}

// NewIsolationForest returns an unfitted forest with the configuration cfg.
func NewIsolationForest(cfg IForestConfig) (*IsolationForest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, iforestPCGStream)
	return &IsolationForest{cfg: cfg, pcg: pcg, rng: rand.New(pcg)}, nil
}

// Config returns the forest's configuration.
func (f *IsolationForest) Config() IForestConfig { return f.cfg }

// Dims returns the number of features of the rows the forest was fitted on,
// or zero before Fit.
func (f *IsolationForest) Dims() int { return f.dims }

// Fit grows the forest on rows, which must number at least two, have the
// same non-zero length and hold only finite values. Each tree is grown on
// SampleSize rows drawn without replacement (on all rows when there are
// fewer) to the depth limit ceil(log2(sample size)). Growing the same forest
// again on the same rows gives the same forest: the random stream restarts
// from the seed on every Fit. On error the forest is left unfitted.
func (f *IsolationForest) Fit(rows [][]float64) error {
	f.dims = 0
	if len(rows) < 2 {
		return fmt.Errorf("iforest: fit on %d rows: need at least 2", len(rows))
	}
	dims := len(rows[0])
	if dims == 0 {
		return errors.New("iforest: fit: rows have no features")
	}
	if dims > math.MaxInt32 {
		return fmt.Errorf("iforest: fit: %d features is too many", dims)
	}
	for i, r := range rows {
		if len(r) != dims {
			return fmt.Errorf("iforest: fit: row %d has %d features, row 0 has %d", i, len(r), dims)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("iforest: fit: row %d feature %d is %g; rows must be finite", i, j, v)
			}
		}
	}

	psi := min(f.cfg.SampleSize, len(rows))
	limit := depthLimit(psi)
	f.pcg.Seed(f.cfg.Seed, iforestPCGStream)
	f.norm, f.limit = averagePathLength(psi), limit
	f.nodes, f.length, f.expect, f.bounds = f.nodes[:0], f.length[:0], f.expect[:0], f.bounds[:0]
	f.roots = slices.Grow(f.roots[:0], f.cfg.Trees)
	f.perm = resizeInts(f.perm, len(rows))
	for i := range f.perm {
		f.perm[i] = i
	}
	f.work = resizeInts(f.work, psi)
	f.feats = resizeInts(f.feats, dims)
	for i := range f.feats {
		f.feats[i] = i
	}
	for range f.cfg.Trees {
		// A partial Fisher-Yates shuffle of the kept permutation draws psi
		// distinct rows; the permutation stays one for the next tree.
		for k := range psi {
			j := k + f.rng.IntN(len(rows)-k)
			f.perm[k], f.perm[j] = f.perm[j], f.perm[k]
		}
		copy(f.work, f.perm[:psi])
		f.roots = append(f.roots, int32(len(f.nodes)))
		f.grow(rows, f.work, 0, limit)
	}
	f.dims = dims
	return nil
}

// grow appends the subtree isolating the rows with indices idx, at depth
// depth, to f.nodes. It reorders idx.
func (f *IsolationForest) grow(rows [][]float64, idx []int, depth, limit int) {
	self := len(f.nodes)
	cn := averagePathLength(len(idx))
	f.expect = append(f.expect, cn)
	f.length = append(f.length, float64(depth)+cn)
	f.nodes = append(f.nodes, ifNode{value: math.NaN(), right: int32(self)})
	if f.cfg.RangeAware {
		f.bounds = append(f.bounds, math.Inf(-1), math.Inf(1))
	}
	if depth >= limit || len(idx) <= 1 {
		return
	}
	// Try the features in random order until one varies among the rows,
	// as scikit-learn's splitter does; if none varies, the node is a leaf.
	feats := f.feats
	for k := range feats {
		j := k + f.rng.IntN(len(feats)-k)
		feats[k], feats[j] = feats[j], feats[k]
		q := feats[k]
		lo, hi := rows[idx[0]][q], rows[idx[0]][q]
		for _, i := range idx[1:] {
			v := rows[i][q]
			lo, hi = min(lo, v), max(hi, v)
		}
		if !(hi > lo) {
			continue
		}
		split := lo + f.rng.Float64()*(hi-lo)
		if split >= hi {
			// Rounding can reach hi when hi-lo is tiny; the split must
			// leave hi on the right.
			split = lo
		}
		// Partition: rows at most split first. Both sides are non-empty,
		// since lo <= split < hi.
		n := 0
		for i, r := range idx {
			if rows[r][q] <= split {
				idx[i], idx[n] = idx[n], idx[i]
				n++
			}
		}
		f.nodes[self] = ifNode{value: split, feature: int32(q)}
		if f.cfg.RangeAware {
			f.bounds[2*self], f.bounds[2*self+1] = lo, hi
		}
		f.grow(rows, idx[:n], depth+1, limit)
		f.nodes[self].right = int32(len(f.nodes))
		f.grow(rows, idx[n:], depth+1, limit)
		return
	}
}

// step returns the node that row goes to from node i: a conditional move,
// not a branch.
func step(nodes []ifNode, i int32, row []float64) int32 {
	n := &nodes[i]
	left, right := i+1, n.right
	var goRight int32
	if !(row[n.feature] <= n.value) {
		goRight = 1
	}
	return left + goRight*(right-left)
}

// treeGroup is the number of trees walked at once.
const treeGroup = 8

// pathSum returns the sum over the trees of row's path length.
func (f *IsolationForest) pathSum(row []float64) float64 {
	var sum float64
	for t := 0; t < len(f.roots); t += treeGroup {
		sum += f.groupSum(row, f.roots[t:min(t+treeGroup, len(f.roots))])
	}
	return sum
}

// groupSum returns the sum of row's path lengths in the trees with the given
// roots, at most treeGroup of them. A full group is walked all at once, so
// that the independent loads of the eight walks overlap.
func (f *IsolationForest) groupSum(row []float64, roots []int32) float64 {
	nodes, length := f.nodes, f.length
	if len(roots) == treeGroup {
		a, b, c, d := roots[0], roots[1], roots[2], roots[3]
		e, g, h, k := roots[4], roots[5], roots[6], roots[7]
		for range f.limit {
			a = step(nodes, a, row)
			b = step(nodes, b, row)
			c = step(nodes, c, row)
			d = step(nodes, d, row)
			e = step(nodes, e, row)
			g = step(nodes, g, row)
			h = step(nodes, h, row)
			k = step(nodes, k, row)
		}
		return length[a] + length[b] + length[c] + length[d] +
			length[e] + length[g] + length[h] + length[k]
	}
	var sum float64
	for _, a := range roots {
		for range f.limit {
			a = step(nodes, a, row)
		}
		sum += length[a]
	}
	return sum
}

// PathLength returns the path length of row averaged over the trees, E[h(x)]
// in the paper's notation: the depth of the leaf it reaches plus the
// adjustment c(size) for the training rows left unseparated there.
//
// It panics if the forest is not fitted or row has fewer features than the
// rows the forest was fitted on; extra features are ignored.
func (f *IsolationForest) PathLength(row []float64) float64 {
	f.checkRow(row)
	if f.cfg.RangeAware {
		return f.rangedPathSum(row) / float64(len(f.roots))
	}
	return f.pathSum(row) / float64(len(f.roots))
}

// rangedPathSum is pathSum for a RangeAware forest. Where the row's value
// v of a node's split feature lies outside the range [lo, hi] of the
// training rows that reached the node, the split is taken as drawn from
// the range that includes v: with probability p = dist/(dist + hi - lo),
// dist being how far v lies outside, it falls between v and the data and
// isolates the row one step further; otherwise the walk goes on. The path
// length is the expectation over those chances, so a row just outside the
// data scores as it would without RangeAware, and a row far outside is
// isolated at once. NaN is never outside.
func (f *IsolationForest) rangedPathSum(row []float64) float64 {
	var sum float64
	for _, i := range f.roots {
		reach := 1.0 // The chance that the walk gets this far.
		for depth := 0; ; depth++ {
			n := &f.nodes[i]
			if n.isLeaf(i) {
				sum += reach * f.length[i]
				break
			}
			v := row[n.feature]
			if p := f.outside(i, v); p > 0 {
				sum += reach * p * float64(depth+1)
				reach *= 1 - p
			}
			if v <= n.value {
				i++
			} else {
				i = n.right
			}
		}
	}
	return sum
}

// outside returns the chance that a split of node i drawn from the range
// including v isolates v: zero when v is within the training rows' range.
func (f *IsolationForest) outside(i int32, v float64) float64 {
	lo, hi := f.bounds[2*i], f.bounds[2*i+1]
	var dist float64
	switch {
	case v < lo:
		dist = lo - v
	case v > hi:
		dist = v - hi
	default:
		return 0
	}
	return dist / (dist + hi - lo)
}

// Score returns the anomaly score of row, s(x, n) = 2^(-E[h(x)]/c(n)),
// where n is the sample size the trees were grown on. It lies in (0, 1]:
// scores near 1 mark anomalies and scores well below 0.5 normal rows; when
// no row stands out, every score is near 0.5. Score does not allocate. It
// panics in the same cases as PathLength.
func (f *IsolationForest) Score(row []float64) float64 {
	return math.Exp2(-f.PathLength(row) / f.norm)
}

// ScoreAll writes the score of rows[i] to out[i] and returns out, growing it
// if it is too short. It panics in the same cases as Score.
func (f *IsolationForest) ScoreAll(rows [][]float64, out []float64) []float64 {
	out = slices.Grow(out[:0], len(rows))[:len(rows)]
	for i, r := range rows {
		out[i] = f.Score(r)
	}
	return out
}

func (f *IsolationForest) checkRow(row []float64) {
	if f.dims == 0 {
		panic(ErrNotFitted)
	}
	if len(row) < f.dims {
		panic(fmt.Sprintf("iforest: row has %d features, the forest was fitted on %d", len(row), f.dims))
	}
}

// FeatureContribution is how much one feature contributed to a row's
// isolation.
type FeatureContribution struct {
	// Feature is the index of the feature in the row.
	Feature int
	// Depth is the reduction of the row's path length, averaged over the
	// trees, attributed to the splits on this feature. A split on a node of
	// n training rows that sends the row to a child of m rows shortens the
	// expected remaining path from c(n) to 1 + c(m); the difference is
	// credited to the split's feature. Per tree, the credits sum to c(ψ)
	// minus the row's path length, so the Depths of all features sum to
	// c(ψ) - E[h(x)]: positive for rows isolated faster than average. A
	// negative Depth means splits on the feature kept the row among many.
	Depth float64
	// Share is Depth as a fraction of the sum of the positive Depths, or
	// zero when Depth is not positive; the Shares sum to 1 unless no
	// feature shortened the path.
	Share float64
}

// Explain says which features made row easy or hard to isolate: one
// FeatureContribution per feature, the most isolating first (ties in
// feature order). It returns ErrNotFitted before Fit and an error if row is
// shorter than the rows the forest was fitted on.
func (f *IsolationForest) Explain(row []float64) ([]FeatureContribution, error) {
	if f.dims == 0 {
		return nil, ErrNotFitted
	}
	if len(row) < f.dims {
		return nil, fmt.Errorf("iforest: explain: row has %d features, the forest was fitted on %d", len(row), f.dims)
	}
	depth := make([]float64, f.dims)
	for _, root := range f.roots {
		i, reach := root, 1.0
		for {
			n := &f.nodes[i]
			if n.isLeaf(i) {
				break
			}
			next := n.right
			if row[n.feature] <= n.value {
				next = i + 1
			}
			var p float64
			if f.cfg.RangeAware {
				// Isolated here with chance p: c(n) shrinks to one step.
				p = f.outside(i, row[n.feature])
			}
			depth[n.feature] += reach * (f.expect[i] - 1 - (1-p)*f.expect[next])
			reach *= 1 - p
			i = next
		}
	}
	for j := range depth {
		depth[j] /= float64(len(f.roots))
	}
	return contributions(depth), nil
}

// contributions turns each feature's credit into FeatureContributions:
// its share of the positive credits, the most telling first (ties in
// feature order).
func contributions(credit []float64) []FeatureContribution {
	out := make([]FeatureContribution, len(credit))
	var pos float64
	for j, c := range credit {
		out[j] = FeatureContribution{Feature: j, Depth: c}
		if c > 0 {
			pos += c
		}
	}
	for j := range out {
		if out[j].Depth > 0 {
			out[j].Share = out[j].Depth / pos
		}
	}
	slices.SortStableFunc(out, func(a, b FeatureContribution) int {
		switch {
		case a.Depth > b.Depth:
			return -1
		case a.Depth < b.Depth:
			return 1
		}
		return 0
	})
	return out
}

// averagePathLength is c(n), the average path length of an unsuccessful
// search in a binary search tree of n keys, which the paper uses as the
// expected depth needed to isolate one of n rows: 2H(n-1) - 2(n-1)/n, with
// c(2) = 1 and c(n) = 0 for n < 2.
func averagePathLength(n int) float64 {
	switch {
	case n < 2:
		return 0
	case n == 2:
		return 1
	}
	m := float64(n)
	return 2*harmonic(n-1) - 2*(m-1)/m
}

// harmonic returns the n-th harmonic number: summed exactly for small n and
// by its asymptotic expansion, accurate to a few ulps, for larger n.
func harmonic(n int) float64 {
	if n <= 64 {
		var h float64
		for k := n; k >= 1; k-- {
			h += 1 / float64(k)
		}
		return h
	}
	const eulerGamma = 0.57721566490153286060651209008240243
	x := float64(n)
	x2 := x * x
	x4 := x2 * x2
	return math.Log(x) + eulerGamma + 1/(2*x) - 1/(12*x2) + 1/(120*x4) - 1/(252*x4*x2)
}

// depthLimit is the height limit ceil(log2(psi)) of the trees grown on psi
// rows: the average height of a random binary tree, below which only
// anomalies are of interest.
func depthLimit(psi int) int {
	l := 0
	for 1<<l < psi {
		l++
	}
	return l
}

// resizeInts returns s with length n, reusing its storage when it can.
func resizeInts(s []int, n int) []int {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]int, n)
}
