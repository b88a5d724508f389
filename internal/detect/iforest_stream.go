package detect

import (
	"fmt"
	"math"
)

// StreamingIForestConfig configures a StreamingIForest.
type StreamingIForestConfig struct {
	// Forest configures the forests grown on the window.
	Forest IForestConfig
	// Window is the number of recent normal rows kept to grow the forest on.
	Window int
	// RefitEvery is the number of rows observed between two fits.
	RefitEvery int
	// NormalBelow is the score under which a row counts as normal and is
	// kept in the window once a forest exists; rows scoring higher are
	// scored but not learned, so an anomaly does not become normal.
	NormalBelow float64
}

// DefaultStreamingIForestConfig returns a window of 2048 rows, refitted every
// 256 rows, that learns rows scoring under 0.6.
func DefaultStreamingIForestConfig() StreamingIForestConfig {
	return StreamingIForestConfig{Forest: DefaultIForestConfig(), Window: 2048, RefitEvery: 256, NormalBelow: 0.6}
}

// Validate reports whether the configuration is usable.
func (c StreamingIForestConfig) Validate() error {
	if err := c.Forest.Validate(); err != nil {
		return err
	}
	if c.Window < c.Forest.SampleSize {
		return fmt.Errorf("iforest: window %d: must be at least the sample size %d", c.Window, c.Forest.SampleSize)
	}
	if c.RefitEvery < 1 {
		return fmt.Errorf("iforest: refit every %d: must be at least 1", c.RefitEvery)
	}
	if !(c.NormalBelow > 0 && c.NormalBelow <= 1) {
		return fmt.Errorf("iforest: normal below %g: must be in (0, 1]", c.NormalBelow)
	}
	return nil
}

// StreamingIForest scores rows one at a time, strictly causally, with an
// IsolationForest grown on a sliding window of the recent rows it judged
// normal, and grown again every RefitEvery rows. Until the window holds
// SampleSize rows there is no forest, every finite row is learned and the
// score is zero. Each fit uses a seed derived from the configured one and
// the number of fits so far, so a replay gives the same scores.
//
// It is not safe for concurrent use. Observing does not allocate except
// when it refits.
type StreamingIForest struct {
	cfg    StreamingIForestConfig
	forest *IsolationForest
	// buf holds the window's rows back to back; rows[i] is a view of the
	// i-th of them. next is the slot the next learned row overwrites.
	buf  []float64
	rows [][]float64
	next int
	dims int
	// since counts the rows observed since the last fit; fits counts fits.
	since int
	fits  uint64
	ready bool
}

// NewStreamingIForest returns an empty StreamingIForest.
func NewStreamingIForest(cfg StreamingIForestConfig) (*StreamingIForest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f, err := NewIsolationForest(cfg.Forest)
	if err != nil {
		return nil, err
	}
	return &StreamingIForest{cfg: cfg, forest: f}, nil
}

// Forest returns the forest that scores rows now, or nil before the first
// fit. It changes on the next refit and must not be used concurrently with
// Observe.
func (s *StreamingIForest) Forest() *IsolationForest {
	if !s.ready {
		return nil
	}
	return s.forest
}

// Observe scores row with the current forest, learns it if it is finite and
// normal, and refits when it is time to. The first row fixes the number of
// features; a row of another length is an error and is neither scored nor
// learned. ready is false, and score zero, while there is no forest yet.
func (s *StreamingIForest) Observe(row []float64) (score float64, ready bool, err error) {
	score, ready, err = s.Score(row)
	if err != nil {
		return score, ready, err
	}
	s.Learn(row, !ready || score < s.cfg.NormalBelow)
	return score, s.ready, nil
}

// Score scores row with the current forest without learning it; Learn must
// follow, so that the window and the refits advance. Observe does both.
func (s *StreamingIForest) Score(row []float64) (score float64, ready bool, err error) {
	if s.dims == 0 {
		if len(row) == 0 {
			return 0, false, fmt.Errorf("iforest: observe: row has no features")
		}
		s.dims = len(row)
		s.buf = make([]float64, s.cfg.Window*s.dims)
		s.rows = make([][]float64, 0, s.cfg.Window)
	}
	if len(row) != s.dims {
		return 0, s.ready, fmt.Errorf("iforest: observe: row has %d features, earlier rows had %d", len(row), s.dims)
	}
	if s.ready {
		score = s.forest.Score(row)
	}
	return score, s.ready, nil
}

// Learn adds row, just scored, to the window if normal is set and the row
// is finite, and refits when it is time to.
func (s *StreamingIForest) Learn(row []float64, normal bool) {
	if len(row) != s.dims {
		return
	}
	if normal && finiteRow(row) {
		slot := s.buf[s.next*s.dims : (s.next+1)*s.dims : (s.next+1)*s.dims]
		copy(slot, row)
		if len(s.rows) < s.cfg.Window {
			s.rows = append(s.rows, slot)
		}
		s.next = (s.next + 1) % s.cfg.Window
	}
	s.since++
	if len(s.rows) >= s.cfg.Forest.SampleSize && (!s.ready || s.since >= s.cfg.RefitEvery) {
		s.forest.cfg.Seed = s.cfg.Forest.Seed + s.fits
		if err := s.forest.Fit(s.rows); err != nil {
			// The window holds only finite rows of one length, at least
			// two of them, so Fit cannot fail.
			panic(fmt.Sprintf("iforest: refit on the window: %v", err))
		}
		s.fits++
		s.since = 0
		s.ready = true
	}
}

// finiteRow reports whether every value of row is finite.
func finiteRow(row []float64) bool {
	for _, v := range row {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
