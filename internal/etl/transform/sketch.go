package transform

import (
	"math"
	"math/bits"
	"slices"
)

// quantileK is the capacity of each level of a quantile sketch. A sketch
// is exact up to quantileK values; beyond, the rank error of a quantile is
// about log2(n/quantileK)/quantileK at worst, under 2% for a billion values.
const quantileK = 1024

// quantileSketch estimates quantiles of a stream in bounded memory, with a
// stack of compactors (as in the KLL and MRL sketches): level h holds values
// standing for 2^h values each; a full level is sorted and every other value
// moves up a level, the odd or even ones in turn, so that ranks stay unbiased.
type quantileSketch struct {
	k      int
	levels [][]float64
	n      int64
	flip   []bool // Per level: which half the next compaction keeps.
}

func newQuantileSketch(k int) *quantileSketch {
	return &quantileSketch{k: k, levels: [][]float64{make([]float64, 0, k)}, flip: []bool{false}}
}

func (s *quantileSketch) add(x float64) {
	s.n++
	s.levels[0] = append(s.levels[0], x)
	for h := 0; h < len(s.levels) && len(s.levels[h]) >= s.k; h++ {
		s.compact(h)
	}
}

// compact halves level h into level h+1.
func (s *quantileSketch) compact(h int) {
	if h+1 == len(s.levels) {
		s.levels = append(s.levels, make([]float64, 0, s.k))
		s.flip = append(s.flip, false)
	}
	level := s.levels[h]
	slices.Sort(level)
	start := 0
	if s.flip[h] {
		start = 1
	}
	s.flip[h] = !s.flip[h]
	for i := start; i < len(level); i += 2 {
		s.levels[h+1] = append(s.levels[h+1], level[i])
	}
	s.levels[h] = level[:0]
}

// quantile returns the q-quantile. While no compaction has happened it is
// exact, interpolating linearly between the two nearest values (as numpy
// and R's type 7 do); afterwards it is the value at rank q·n among the
// weighted values.
func (s *quantileSketch) quantile(q float64) float64 {
	if s.n == 0 {
		return math.NaN()
	}
	if len(s.levels) == 1 {
		vals := slices.Clone(s.levels[0])
		slices.Sort(vals)
		pos := q * float64(len(vals)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(vals)-1)
		return vals[lo] + (vals[hi]-vals[lo])*(pos-float64(lo))
	}
	type weighted struct {
		v float64
		w int64
	}
	var all []weighted
	var total int64
	for h, level := range s.levels {
		for _, v := range level {
			all = append(all, weighted{v, 1 << h})
			total += 1 << h
		}
	}
	slices.SortFunc(all, func(a, b weighted) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	target := q * float64(total)
	var cum int64
	for _, e := range all {
		cum += e.w
		if float64(cum) >= target {
			return e.v
		}
	}
	return all[len(all)-1].v
}

// hllPrecision is the number of index bits of the HyperLogLog sketch: 2^14
// registers, a standard error of 1.04/√16384 ≈ 0.8%.
const hllPrecision = 14

// hyperLogLog estimates the number of distinct 64-bit hashes it was given.
type hyperLogLog struct {
	registers []uint8
}

func newHyperLogLog() *hyperLogLog {
	return &hyperLogLog{registers: make([]uint8, 1<<hllPrecision)}
}

func (h *hyperLogLog) add(x uint64) {
	idx := x >> (64 - hllPrecision)
	rank := uint8(bits.LeadingZeros64(x<<hllPrecision|1<<(hllPrecision-1)) + 1)
	if rank > h.registers[idx] {
		h.registers[idx] = rank
	}
}

// estimate returns the estimated count, with linear counting for small
// cardinalities as the original algorithm prescribes.
func (h *hyperLogLog) estimate() int64 {
	m := float64(len(h.registers))
	var sum float64
	zeros := 0
	for _, r := range h.registers {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}
