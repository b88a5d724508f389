package detect

import "math"

// gaussMAD converts a mean absolute deviation to a standard deviation for
// normally distributed errors: σ = √(π/2)·MAD.
const gaussMAD = 1.2533141373155003

// The baseline models, in the order a baseline keeps them: a fast local
// level and three slow models, without season, with a daily and with a
// weekly profile.
const (
	modelFast = iota
	modelFlat
	modelDaily
	modelWeekly
	numModels
)

// level is an exponentially weighted level with the mean absolute size of
// its one-step forecast errors.
type level struct {
	value float64
	mae   float64 // mean absolute one-step error, outliers clipped
	n     uint32  // errors learned
}

// sigma is the robust standard deviation of the forecast errors, never below
// floor.
func (l *level) sigma(floor float64) float64 {
	return max(gaussMAD*l.mae, floor)
}

// learn folds the forecast error e into l: the error scale with rate sr and,
// if move is set, the level with rate r. The error is first clipped to clip
// standard deviations (Huber) so that one outlier moves neither by much;
// the clipped error is returned.
func (l *level) learn(e, r, sr, clip, floor float64, move bool) float64 {
	ec := e
	if l.n > 0 {
		lim := clip * l.sigma(floor)
		ec = clamp(e, -lim, lim)
	}
	l.n++
	l.mae += rate(sr, l.n) * (math.Abs(ec) - l.mae)
	if move {
		l.value += r * ec
	}
	return ec
}

// baseline is the set of models that forecast a series, with the choice of
// seasonality. For each profile the recent mean absolute errors of the
// seasonal model and of the slow model without season are compared on the
// same samples (those whose bin the profile has learned); a profile is
// adopted once two of its periods have passed and it forecasts at least 15%
// better, the weekly one only if it also improves more than the daily one,
// and it is dropped when its gain falls below 5%, so that the choice does
// not flap.
type baseline struct {
	models   [numModels]level
	sel      [2]selection
	season   Season
	profiles [2]profile // daily and weekly, for modelDaily and modelWeekly
}

// selection compares a seasonal model with the slow model without season.
type selection struct {
	seasonal, flat float64 // mean absolute errors on the same samples
	n              uint32
}

// gain is the relative reduction of the error by the season, or 0.
func (s *selection) gain() float64 {
	if s.n == 0 || !(s.flat > 0) {
		return 0
	}
	return 1 - s.seasonal/s.flat
}

func newBaseline(x float64) baseline {
	b := baseline{profiles: [2]profile{newProfile(SeasonDaily), newProfile(SeasonWeekly)}}
	for i := range b.models {
		b.models[i].value = x
	}
	return b
}

// slow returns the index of the slow model in use.
func (b *baseline) slow() int {
	switch b.season {
	case SeasonDaily:
		return modelDaily
	case SeasonWeekly:
		return modelWeekly
	}
	return modelFlat
}

// forecast is what the models expect at one timestamp.
type forecast struct {
	value [numModels]float64
	bin   [numModels]int  // seasonal bin, for modelDaily and modelWeekly
	ready [numModels]bool // the seasonal bin has been learned
}

func (b *baseline) forecast(t int64) forecast {
	var f forecast
	for i := range b.models {
		f.value[i] = b.models[i].value
		f.ready[i] = true
		if i >= modelDaily {
			p := &b.profiles[i-modelDaily]
			f.bin[i] = p.bin(t)
			o, ok := p.offset(f.bin[i])
			f.value[i] += o
			f.ready[i] = ok
		}
	}
	return f
}

// learn updates the models with x, whose forecasts were f; dt is the time
// since the previous sample and floor the smallest error scale. Errors are
// clipped to clip standard deviations; if move is false the levels and
// profiles stay where they are and only the error scales learn.
func (b *baseline) learn(x float64, f *forecast, dt int64, cfg *Config, clip, floor float64, move bool) {
	rates := [numModels]float64{cfg.FastRate, cfg.SlowRate, cfg.SlowRate, cfg.SlowRate}
	var flatErr float64
	for i := range b.models {
		m := &b.models[i]
		if !f.ready[i] {
			// First visit of a seasonal bin: its offset explains the error.
			if move {
				b.profiles[i-modelDaily].set(f.bin[i], x-m.value)
			}
			continue
		}
		e := m.learn(x-f.value[i], rates[i], cfg.ScaleRate, clip, floor, move)
		if i == modelFlat {
			flatErr = math.Abs(e)
		}
		if i >= modelDaily {
			sel := &b.sel[i-modelDaily]
			sel.n++
			w := rate(cfg.SelectRate, sel.n)
			sel.seasonal += w * (math.Abs(e) - sel.seasonal)
			sel.flat += w * (flatErr - sel.flat)
			if move {
				p := &b.profiles[i-modelDaily]
				p.learn(f.bin[i], e, cfg.SeasonRate*min(1, float64(dt)/float64(p.width)))
			}
		}
	}
}

// choose picks the seasonality for a history spanning span milliseconds.
func (b *baseline) choose(span int64) {
	const adopt, keep = 0.15, 0.05
	need := func(s Season) float64 {
		if b.season == s {
			return keep
		}
		return adopt
	}
	season, best := SeasonNone, 0.0
	if g := b.sel[0].gain(); span >= 2*dayMs && g >= need(SeasonDaily) {
		season, best = SeasonDaily, g
	}
	if g := b.sel[1].gain(); span >= 2*weekMs && g >= need(SeasonWeekly) && g > best {
		season = SeasonWeekly
	}
	b.season = season
}

// shift moves model i by d, after a change was confirmed.
func (b *baseline) shift(i int, d float64) {
	b.models[i].value += d
}
