package detect

import (
	"fmt"
	"strings"
)

// Sample is one observation of a univariate series.
type Sample struct {
	// T is the time of the observation in milliseconds since the Unix epoch.
	T int64
	// V is the observed value. NaN and ±Inf are accepted and never learned.
	V float64
	// Hold asks for a verdict without learning from the sample: Vigil sets
	// it while the series is part of an open incident, so that an outage
	// does not become the new normal even where its samples are not
	// anomalous enough on their own to be left out.
	Hold bool
}

// Range is a closed interval of values.
type Range struct {
	Low, High float64
}

// Contains reports whether v lies in r.
func (r Range) Contains(v float64) bool { return v >= r.Low && v <= r.High }

// Component is a set of sub-detectors, one bit each.
type Component uint8

// The sub-detectors a Result can name as having fired.
const (
	// Level is the deviation of a sample from the robust (possibly seasonal)
	// baseline, measured in robust standard deviations.
	Level Component = 1 << iota
	// Extreme is the position of a sample in the upper or lower tail of the
	// values seen so far.
	Extreme
	// Novel fires when a sample lies outside every value seen so far.
	Novel
	// Change is the CUSUM change-point detector on the baseline errors: it
	// fires on a lasting shift of the level that single samples do not show.
	Change
)

var componentNames = [...]string{"level", "extreme", "novel", "change"}

// String lists the components in c, joined by "+", or "none".
func (c Component) String() string {
	if c == 0 {
		return "none"
	}
	var parts []string
	for i, name := range componentNames {
		if c&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "+")
}

// Result is a detector's verdict on one sample.
type Result struct {
	// Score is the anomaly score in [0, 1]; higher is more anomalous. It is
	// never NaN.
	Score float64
	// Probability is the calibrated probability that the sample is not
	// normal behaviour of the series: one minus the probability, learned
	// from the series' history, of evidence at least as strong. Detectors
	// without a calibration stage report their score.
	Probability float64
	// Expected is the range of values the baseline expected for this
	// sample. Before any value has been seen it is the whole real line.
	Expected Range
	// Fired is the set of sub-detectors whose evidence crossed their own
	// firing level on this sample.
	Fired Component
	// Alert is the alert state after the noise floor and hysteresis: it turns
	// on when the score crosses the alerting threshold and off only after the
	// score has stayed low for a while.
	Alert bool
	// Drift is set on the sample at which a lasting shift was accepted as the
	// new baseline.
	Drift bool
}

// Detector scores a univariate series one sample at a time. Observe must be
// called with the samples in the order they arrived; it returns the verdict
// on s, computed from s and the samples before it only. A Detector is not
// safe for concurrent use.
type Detector interface {
	Observe(s Sample) Result
}

// Names of the detectors New knows, the default first.
const (
	NameEnsemble         = "vigil"
	NameWindowedGaussian = "windowed-gaussian"
)

// Names returns the names New accepts, the default first.
func Names() []string {
	return []string{NameEnsemble, NameWindowedGaussian}
}

// New returns a new detector by name with its default configuration.
func New(name string) (Detector, error) {
	switch name {
	case NameEnsemble:
		d, err := NewEnsemble(DefaultConfig())
		if err != nil {
			return nil, err
		}
		return d, nil
	case NameWindowedGaussian:
		return NewWindowedGaussian(), nil
	default:
		return nil, fmt.Errorf("unknown detector %q (known: %s)", name, strings.Join(Names(), ", "))
	}
}
