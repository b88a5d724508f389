package detect

import (
	"fmt"
	"math"
)

// AlertThreshold is the score at and above which Vigil alerts in production.
// A score s corresponds to a calibrated tail probability p = 10^(-10·s), so
// 0.5 means p = 1e-5: about one false alert per series every three days at a
// 15-second scrape interval if the calibration holds, which the hysteresis
// and the incident layer reduce further. It was fixed from that reasoning
// before the detector was run on any benchmark data and must not be tuned
// to a benchmark.
const AlertThreshold = 0.5

// scoreDecades is the number of decades of tail probability that span the
// score range: score = -log10(p)/scoreDecades, capped at 1.
const scoreDecades = 10

// Config parameterises the Ensemble. Rates are per sample unless stated
// otherwise; a rate r means a memory of about 1/r samples.
type Config struct {
	// FastRate is the learning rate of the fast local level.
	FastRate float64
	// SlowRate is the learning rate of the slow levels under the seasonal
	// profiles.
	SlowRate float64
	// SeasonRate is the learning rate of a seasonal bin per visit.
	SeasonRate float64
	// ScaleRate is the learning rate of the error scales and of the spread.
	ScaleRate float64
	// SelectRate is the learning rate of the error averages on which the
	// seasonality is chosen.
	SelectRate float64
	// ExcessRate is the learning rate of the tail models' mean excess, per
	// exceedance.
	ExcessRate float64
	// ValueStep is the step of the value-tail thresholds, per sample, in
	// units of the mean excess.
	ValueStep float64
	// NoiseFloor is the smallest error scale, as a fraction of the series'
	// typical spread (its mean absolute deviation from the slow level):
	// deviations below it are noise however regular the series has been.
	NoiseFloor float64
	// Clip is the Huber clip, in standard deviations, applied to errors
	// before they are learned.
	Clip float64
	// ChangeConfirm is the CUSUM statistic at which a lasting shift is
	// accepted as the new baseline.
	ChangeConfirm float64
	// WarmUp is the number of samples scored 0 while the baseline forms.
	WarmUp int
	// RangeHalfLife is the half-life, in samples, with which the range of
	// values seen so far shrinks towards the level; it bounds the memory of
	// the record detector.
	RangeHalfLife float64
	// PeakHalfLife is the half-life, in samples, of the recent peak score
	// below which scores are damped: evidence about an anomaly that has
	// already been reported is not reported again unless it is stronger.
	PeakHalfLife float64
	// Damp is the factor applied to a score that does not exceed the recent
	// peak.
	Damp float64
	// Hold is the number of consecutive quiet samples after which an alert
	// clears.
	Hold int
}

// DefaultConfig returns the configuration Vigil runs with.
func DefaultConfig() Config {
	return Config{
		FastRate:      0.1,
		SlowRate:      0.02,
		SeasonRate:    0.25,
		ScaleRate:     0.01,
		SelectRate:    0.005,
		ExcessRate:    0.02,
		ValueStep:     0.01,
		NoiseFloor:    0.05,
		Clip:          3,
		ChangeConfirm: 30,
		WarmUp:        30,
		RangeHalfLife: 40320, // A week of samples at a 15-second interval.
		PeakHalfLife:  100,
		Damp:          0.5,
		Hold:          5,
	}
}

// Validate reports the first invalid field of c.
func (c Config) Validate() error {
	fractions := []struct {
		name   string
		v      float64
		zeroOK bool
	}{
		{"FastRate", c.FastRate, false}, {"SlowRate", c.SlowRate, false},
		{"SeasonRate", c.SeasonRate, false}, {"ScaleRate", c.ScaleRate, false},
		{"SelectRate", c.SelectRate, false}, {"ExcessRate", c.ExcessRate, false},
		{"ValueStep", c.ValueStep, false}, {"NoiseFloor", c.NoiseFloor, true},
		{"Damp", c.Damp, true},
	}
	for _, f := range fractions {
		if !(f.v > 0 || f.zeroOK && f.v == 0) || f.v > 1 {
			return fmt.Errorf("detect: %s is %v, want a number in (0, 1]", f.name, f.v)
		}
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"Clip", c.Clip}, {"ChangeConfirm", c.ChangeConfirm},
		{"RangeHalfLife", c.RangeHalfLife}, {"PeakHalfLife", c.PeakHalfLife},
	}
	for _, p := range positive {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("detect: %s is %v, want a positive number", p.name, p.v)
		}
	}
	if c.WarmUp < 1 {
		return fmt.Errorf("detect: WarmUp is %d, want at least 1", c.WarmUp)
	}
	if c.Hold < 0 {
		return fmt.Errorf("detect: Hold is %d, want a number of samples", c.Hold)
	}
	return nil
}
