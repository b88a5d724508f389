// Package rca ranks the likely root causes of an incident: which
// component's metrics changed most at the onset, measured robustly against
// the window before it, and, over a dependency graph, where a random walk
// from the symptoms towards their dependencies ends up. It is pure: no I/O,
// no clock.
package rca

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Evidence says why a metric scored as it did.
type Evidence struct {
	Metric string
	// Median and IQR describe the metric before the onset; Scale is the
	// spread actually used (the IQR, or a fallback when it is zero).
	Median, IQR, Scale float64
	// Peak is the value after the onset farthest from the median, and
	// Score its distance in Scales.
	Peak, Score float64
	// Flat says the metric did not vary before the onset, so that Scale
	// is a fallback.
	Flat bool
}

// Cause is a ranked candidate.
type Cause struct {
	Component string
	// Score is the highest robust score of the component's metrics.
	Score float64
	// Confidence is the component's share of the scores of all
	// candidates, in [0, 1].
	Confidence float64
	// Evidence lists the component's metrics, the most telling first.
	Evidence []Evidence
}

// ErrNoCandidate means no metric changed at the onset; Checked says what
// was looked at.
type ErrNoCandidate struct {
	Checked []Evidence
}

func (e *ErrNoCandidate) Error() string {
	return fmt.Sprintf("no anomalous candidate: %d metrics checked, none moved more than %g spreads from its median", len(e.Checked), minScore)
}

// minScore is the robust score below which a metric did not change.
const minScore = 3.0

// RankMetrics scores every metric present in both windows by how far its
// values after the onset (anomalous) lie from its median before it
// (normal), in units of its interquartile range, as the BARO method does,
// and ranks the components (component maps a metric name to its
// component) by their highest score. A metric that was flat before gets
// the median absolute deviation, or else a hair of its median, as its
// spread, and is marked. NaN values are ignored.
func RankMetrics(normal, anomalous map[string][]float64, component func(metric string) string) ([]Cause, error) {
	byComp := map[string]*Cause{}
	var checked []Evidence
	names := make([]string, 0, len(normal))
	for m := range normal {
		if _, ok := anomalous[m]; ok {
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("rca: no metric is in both windows")
	}
	sort.Strings(names)
	for _, m := range names {
		ev, ok := score(m, normal[m], anomalous[m])
		if !ok {
			continue
		}
		checked = append(checked, ev)
		c := component(m)
		cause := byComp[c]
		if cause == nil {
			cause = &Cause{Component: c}
			byComp[c] = cause
		}
		cause.Evidence = append(cause.Evidence, ev)
		cause.Score = max(cause.Score, ev.Score)
	}
	var out []Cause
	var total float64
	for _, c := range byComp {
		if c.Score >= minScore {
			slices.SortFunc(c.Evidence, func(a, b Evidence) int { return cmpDesc(a.Score, b.Score, a.Metric, b.Metric) })
			out = append(out, *c)
			total += c.Score
		}
	}
	if len(out) == 0 {
		return nil, &ErrNoCandidate{Checked: checked}
	}
	slices.SortFunc(out, func(a, b Cause) int { return cmpDesc(a.Score, b.Score, a.Component, b.Component) })
	for i := range out {
		out[i].Confidence = out[i].Score / total
	}
	return out, nil
}

func cmpDesc(a, b float64, ka, kb string) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return strings.Compare(ka, kb)
}

// score returns a metric's evidence; false when a window has no value.
func score(name string, normal, anomalous []float64) (Evidence, bool) {
	n := finite(normal)
	a := finite(anomalous)
	if len(n) == 0 || len(a) == 0 {
		return Evidence{}, false
	}
	slices.Sort(n)
	med := quantile(n, 0.5)
	iqr := quantile(n, 0.75) - quantile(n, 0.25)
	ev := Evidence{Metric: name, Median: med, IQR: iqr, Scale: iqr}
	if !(iqr > 0) {
		dev := make([]float64, len(n))
		for i, v := range n {
			dev[i] = math.Abs(v - med)
		}
		slices.Sort(dev)
		ev.Scale = quantile(dev, 0.5)
		ev.Flat = true
		if !(ev.Scale > 0) {
			ev.Scale = max(math.Abs(med)*1e-3, 1e-9)
		}
	}
	for _, v := range a {
		if s := math.Abs(v-med) / ev.Scale; s > ev.Score || ev.Score == 0 {
			ev.Score, ev.Peak = s, v
		}
	}
	return ev, true
}

func finite(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// quantile returns the q-quantile of sorted by linear interpolation.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}
