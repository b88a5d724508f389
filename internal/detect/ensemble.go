package detect

import "math"

// numEvidence is the number of tail probabilities the score takes the
// smallest of: the level errors, the value tails and the record.
const numEvidence = 3

// changeSuspect is the CUSUM statistic from which a run may be a change: the
// calibration is saved then, so that it can be restored if the change is
// confirmed. Saving it at every run's start would cost more, and the few
// samples before a run becomes suspect teach the calibration little.
const changeSuspect = 5

// maxValue bounds the magnitude of the values the Ensemble works with; it
// is far beyond any measured quantity and far enough below the largest
// float64 that squares of differences stay finite.
const maxValue = 1e100

// lnEvidence is ln numEvidence.
const lnEvidence = 1.0986122886681098

// logAlert is ln of the tail probability at which a sample's score reaches
// AlertThreshold, for one piece of evidence after the Bonferroni correction.
const logAlert = -scoreDecades*AlertThreshold*math.Ln10 - lnEvidence

// Ensemble is Vigil's univariate detector. Its sub-detectors look at each
// sample from four sides:
//
//   - Level: the error of a fast local level and of a slow level with the
//     seasonal profile (daily, weekly or none) that has forecast the series
//     best, each measured in robust standard deviations. With a seasonal
//     profile in use the slow model alone judges the level, since the fast
//     level mistakes the cycle for anomalies; without one an error must be
//     unusual for both levels, so that neither a local jitter the slow
//     level smooths over nor a slow drift the fast level follows raises
//     the alarm on its own.
//   - Extreme: how far the value lies in the upper or lower tail of the
//     values seen, a streaming peaks-over-threshold model (SPOT).
//   - Novel: whether the value lies outside every value seen, or the slow
//     baseline's error is larger than every error it has made, and how far:
//     a record has tail probability n^-(1+2r) after n samples, r being its
//     distance beyond the range relative to the distance from the level (to
//     the largest error, for an error).
//   - Change: a CUSUM on the errors of the slow baseline, which confirms
//     lasting shifts.
//
// Each piece of evidence becomes a tail probability learned from its own
// history, and the smallest of them, corrected for their number
// (Bonferroni), is the calibrated anomaly probability; the score is
// -log10(p)/10. A last stage damps evidence about an anomaly already
// reported, unless it is at least twice as strong, and keeps the alert
// state with hysteresis. Samples that score as anomalies are not learned
// by the levels, so an outage does not become the new normal; a shift that
// persists until the CUSUM confirms it is accepted as the new baseline at
// once and reported as drift.
//
// An Ensemble is a fixed-size value without pointers (about 3 KiB), so
// copying it copies its state. Create one with NewEnsemble.
type Ensemble struct {
	// The fields used on every sample come first, so that they share as few
	// cache lines as possible; the seasonal bins and the snapshot follow.
	cfg        Config
	rangeDecay float64 // per-sample decay of the record range
	peakDecay  float64 // per-sample decay of the alerter's peak
	lnMemory   float64 // ln of the number of samples the record range remembers

	n           uint32  // samples learned
	first, last int64   // timestamps of the first and the last sample learned
	spread      float64 // mean absolute deviation from the slow level, unclipped

	tails     [numModels]tail // calibration of each model's errors
	high, low valueTail       // the tails of the values and of their negation
	rec       record
	errMax    [numModels]float64 // each model's largest absolute error, decaying
	alert     alerter

	change  cusum
	runErr  [numModels]float64 // sum of each model's errors over the CUSUM run
	runN    [numModels]uint32  // errors in each sum
	suspect bool               // the run has reached changeSuspect

	base baseline

	// The error calibration and scales as they were when the CUSUM run
	// became suspect, restored when the run is confirmed as a change: its
	// errors were the shift, not noise.
	before calibration
}

// NewEnsemble returns an Ensemble with configuration cfg.
func NewEnsemble(cfg Config) (*Ensemble, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Ensemble{
		cfg:        cfg,
		rangeDecay: math.Exp2(-1 / cfg.RangeHalfLife),
		peakDecay:  math.Exp2(-1 / cfg.PeakHalfLife),
		lnMemory:   math.Log(cfg.RangeHalfLife / math.Ln2),
	}
	for i := range d.tails {
		d.tails[i] = newTail(logAlert)
	}
	return d, nil
}

// calibration is what the Ensemble has learned about the size of its
// models' errors.
type calibration struct {
	tails [numModels]tail
	mae   [numModels]float64
}

// calibration returns a copy of the error calibration and scales.
func (d *Ensemble) calibration() calibration {
	c := calibration{tails: d.tails}
	for i := range d.base.models {
		c.mae[i] = d.base.models[i].mae
	}
	return c
}

// restore puts back a calibration saved by calibration.
func (d *Ensemble) restore(c *calibration) {
	d.tails = c.tails
	for i := range d.base.models {
		d.base.models[i].mae = c.mae[i]
	}
}

// Season returns the seasonality the slow baseline currently uses.
func (d *Ensemble) Season() Season { return d.base.season }

// floor is the smallest scale an error is measured against: the noise
// floor, a fraction of the series' typical spread, and a numerical guard for
// constant series, where every change is an anomaly.
func (d *Ensemble) floor(level float64) float64 {
	return max(1e-12, 1e-9*math.Abs(level), d.cfg.NoiseFloor*d.spread)
}

// Observe scores s and then learns it.
//
// A NaN or infinite value carries nothing to compare: it scores 0 and is not
// learned (Prometheus marks stale series with NaN). A finite value beyond
// ±maxValue is clamped to it, which keeps every statistic finite and still
// scores it as the extreme it is. A sample whose timestamp is not after the
// last learned one (a duplicate or out of order) is scored against the
// current state but not learned. Gaps need no special handling: the
// seasonal profiles are indexed by time, not by sample count.
func (d *Ensemble) Observe(s Sample) Result {
	x := s.V
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return d.idle(s.T)
	}
	x = clamp(x, -maxValue, maxValue)
	if d.n == 0 {
		d.start(s.T, x)
		return Result{Expected: Range{Low: x, High: x}}
	}
	inOrder := s.T > d.last
	warm := int(d.n) < d.cfg.WarmUp

	// Evidence.
	f := d.base.forecast(s.T)
	var errs [numModels]float64
	for i := range errs {
		errs[i] = x - f.value[i]
	}
	slow := d.base.slow()
	fl := d.floor(x)
	var sigma, y [numModels]float64
	for i := range errs {
		sigma[i] = d.base.models[i].sigma(fl)
		y[i] = logScore(math.Abs(errs[i] / sigma[i]))
	}
	zs := errs[slow] / sigma[slow]
	// The level evidence: the seasonal model's alone, or, without a season,
	// the weaker of the fast and the slow level's (see Ensemble).
	lLevel := d.tails[slow].logP(y[slow])
	if slow == modelFlat {
		lLevel = max(lLevel, d.tails[modelFast].logP(y[modelFast]))
	}
	var lExtreme, lNovel float64
	if !warm {
		lExtreme = min(d.high.logP(x, fl), d.low.logP(-x, fl))
		lNovel = d.rec.logP(x, d.base.models[modelFlat].value, d.n, d.lnMemory)
		if f.ready[slow] {
			lNovel = min(lNovel, errorRecordLogP(errs[slow], d.errMax[slow], d.n, d.lnMemory))
		}
	}
	change := d.change
	change.update(zs, d.cfg.ScaleRate)

	// Calibration: the smallest probability, times the number of pieces of
	// evidence. The CUSUM is too dependent from sample to sample to be
	// calibrated this way; it confirms shifts instead.
	logp := min(0, min(lLevel, lExtreme, lNovel)+lnEvidence)
	calibrated := clamp(-logp/math.Ln10/scoreDecades, 0, 1)
	res := Result{Expected: d.expected(f.value[slow], sigma[slow])}
	if !warm {
		res.Probability = -math.Expm1(logp)
		res.Fired = fired(lLevel, lExtreme, lNovel, change.logP())
	} else {
		calibrated = 0
	}
	res.Score = d.alert.report(calibrated, d.cfg.Damp)
	if !inOrder {
		res.Alert = d.alert.on
		return res
	}
	res.Alert = d.alert.update(calibrated, res.Score, d.peakDecay, d.cfg.Hold)
	if s.Hold {
		// Judged, not learned: the time moves on, the baseline does not.
		d.last = s.T
		return res
	}

	// Learning.
	if !warm {
		for i := range d.tails {
			if f.ready[i] {
				d.tails[i].learn(y[i], d.cfg.ExcessRate)
			}
		}
		d.high.learn(x, d.cfg.ValueStep, d.cfg.ExcessRate, fl)
		d.low.learn(-x, d.cfg.ValueStep, d.cfg.ExcessRate, fl)
	}
	d.rec.learn(x, d.base.models[modelFlat].value, d.rangeDecay)
	for i, e := range errs {
		if f.ready[i] {
			d.errMax[i] = max(math.Abs(e), d.errMax[i]*d.rangeDecay)
		}
	}
	switch {
	case change.run == 0:
		d.suspect = false
	case !d.suspect && change.stat() >= changeSuspect:
		d.suspect = true
		d.before = d.calibration()
	}
	d.change = change
	d.trackRun(&errs, &f)
	if d.change.stat() >= d.cfg.ChangeConfirm {
		d.acceptChange()
		res.Drift = true
	}
	clip := d.cfg.Clip
	if warm {
		clip = math.Inf(1)
	}
	d.spread += rate(d.cfg.ScaleRate, d.n) * (math.Abs(errs[modelFlat]) - d.spread)
	d.base.learn(x, &f, s.T-d.last, &d.cfg, clip, fl, warm || calibrated < AlertThreshold)
	d.n++
	d.last = s.T
	d.base.choose(s.T - d.first)
	if int(d.n) == d.cfg.WarmUp {
		d.startValueTails()
	}
	return res
}

// fired returns the sub-detectors whose log tail probability is at most
// ln 1e-3, the level at which each is said to fire.
func fired(level, extreme, novel, change float64) Component {
	const at = -6.907755278982137 // ln 1e-3
	var c Component
	if level <= at {
		c |= Level
	}
	if extreme <= at {
		c |= Extreme
	}
	if novel <= at {
		c |= Novel
	}
	if change <= at {
		c |= Change
	}
	return c
}

// start initialises the state at the first value.
func (d *Ensemble) start(t int64, x float64) {
	d.n = 1
	d.first, d.last = t, t
	d.base = newBaseline(x)
	d.rec = record{hi: x, lo: x}
}

// startValueTails starts the value tails at the end of the warm-up, with
// thresholds two robust standard deviations either side of the slow level.
func (d *Ensemble) startValueTails() {
	sd := gaussMAD * d.spread
	lvl := d.base.models[modelFlat].value
	d.high.init(lvl+2*sd, 0.4*sd)
	d.low.init(-lvl+2*sd, 0.4*sd)
}

// trackRun accumulates each model's errors while the CUSUM runs, so that a
// confirmed change can move each model by its own mean error.
func (d *Ensemble) trackRun(errs *[numModels]float64, f *forecast) {
	if d.change.run == 0 {
		d.runErr, d.runN = [numModels]float64{}, [numModels]uint32{}
		return
	}
	for i, e := range errs {
		if f.ready[i] {
			d.runErr[i] += e
			d.runN[i]++
		}
	}
}

// acceptChange moves every model by its mean error over the run that the
// CUSUM confirmed, so that the new regime is normal at once, restores the
// error calibration from before the run and restarts the CUSUM.
func (d *Ensemble) acceptChange() {
	d.restore(&d.before)
	d.suspect = false
	for i := range d.runErr {
		if d.runN[i] > 0 {
			d.base.shift(i, d.runErr[i]/float64(d.runN[i]))
		}
	}
	d.change.restart()
	d.runErr, d.runN = [numModels]float64{}, [numModels]uint32{}
}

// idle is the result for a sample that carries no value.
func (d *Ensemble) idle(t int64) Result {
	if d.n == 0 {
		return Result{Expected: Range{Low: math.Inf(-1), High: math.Inf(1)}}
	}
	f := d.base.forecast(t)
	slow := d.base.slow()
	v := f.value[slow]
	return Result{Expected: d.expected(v, d.base.models[slow].sigma(d.floor(v))), Alert: d.alert.on}
}

// expected is the range around the slow forecast f, with error scale s, in
// which the slow baseline's error alone keeps the score below the alert
// threshold.
func (d *Ensemble) expected(f, s float64) Range {
	z := d.tails[d.base.slow()].bound * s
	return Range{Low: f - z, High: f + z}
}
