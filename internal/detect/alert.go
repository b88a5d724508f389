package detect

// alerter is the last stage of the Ensemble. It damps scores that do not
// clearly exceed the recent peak, so that an anomaly already reported is not
// reported again sample after sample unless it grows, and it keeps the
// alert state with hysteresis: the alert turns on at AlertThreshold and
// clears only after hold consecutive samples below half of it, so one
// jittering sample neither raises nor clears it.
type alerter struct {
	peak  float64 // recent peak of the calibrated score, decaying
	on    bool
	quiet int // consecutive quiet samples while on
}

// noiseScore is the noise floor of the reported score: a calibrated score
// below it, a tail probability above 1% (after the Bonferroni correction),
// is what a series does a few times a day and is reported as 0.
const noiseScore = 0.2

// repeatMargin is how much a calibrated score must exceed the recent peak
// to be reported undamped: log10(2)/scoreDecades, evidence at least twice
// as strong (a tail probability at most half as large) as that already
// reported. Evidence that only creeps above the peak, as it does sample by
// sample while one event unfolds, is the same event reported again.
const repeatMargin = 0.030102999566398120

// report returns the reported score for the calibrated score s: 0 below the
// noise floor, s times factor if s does not exceed the recent peak by
// repeatMargin, s otherwise.
func (a *alerter) report(s, factor float64) float64 {
	switch {
	case s < noiseScore:
		return 0
	case s <= a.peak+repeatMargin:
		return s * factor
	}
	return s
}

// update learns the calibrated score s and the reported score r of an
// in-order sample, the peak decaying by the factor decay, and returns the
// alert state.
func (a *alerter) update(s, r, decay float64, hold int) bool {
	a.peak = max(s, a.peak*decay)
	switch {
	case r >= AlertThreshold:
		a.on, a.quiet = true, 0
	case a.on && s < AlertThreshold/2:
		a.quiet++
		if a.quiet >= hold {
			a.on, a.quiet = false, 0
		}
	case a.on:
		a.quiet = 0
	}
	return a.on
}
