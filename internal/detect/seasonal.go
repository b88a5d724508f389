package detect

import "math"

// Seasonal profiles are kept at a fixed resolution: 5-minute bins over the
// day and 30-minute bins over the week, which fits both in 2.5 KiB.
const (
	dayMs       = 24 * 3600 * 1000
	weekMs      = 7 * dayMs
	dailyBins   = 288
	weeklyBins  = 336
	maxBins     = weeklyBins
	mondayShift = 3 * dayMs // 1970-01-01 was a Thursday.
)

// Season names a seasonality the baseline can model.
type Season uint8

// The seasonalities, in order of the period.
const (
	SeasonNone Season = iota
	SeasonDaily
	SeasonWeekly
)

// String returns "none", "daily" or "weekly".
func (s Season) String() string {
	switch s {
	case SeasonDaily:
		return "daily"
	case SeasonWeekly:
		return "weekly"
	default:
		return "none"
	}
}

// profile is an additive seasonal profile: the mean offset of the series from
// its level in each time bin of the period (UTC). Bins never visited hold NaN.
type profile struct {
	size   int   // bins in use
	width  int64 // bin width in milliseconds
	period int64 // period in milliseconds
	shift  int64 // added to a timestamp before folding it into the period
	bins   [maxBins]float32
}

func newProfile(s Season) profile {
	p := profile{size: dailyBins, period: dayMs}
	if s == SeasonWeekly {
		p = profile{size: weeklyBins, period: weekMs, shift: mondayShift}
	}
	p.width = p.period / int64(p.size)
	for i := range p.bins {
		p.bins[i] = float32(math.NaN())
	}
	return p
}

// bin returns the bin of timestamp t.
func (p *profile) bin(t int64) int {
	m := (t + p.shift) % p.period
	if m < 0 {
		m += p.period
	}
	return int(m / p.width)
}

// offset returns the offset of bin b and whether the bin has been learned.
func (p *profile) offset(b int) (float64, bool) {
	v := p.bins[b]
	if v != v { // NaN: never visited.
		return 0, false
	}
	return float64(v), true
}

// set sets the offset of bin b.
func (p *profile) set(b int, o float64) {
	p.bins[b] = float32(o)
}

// learn moves the offset of bin b by w·e, e being the forecast error.
func (p *profile) learn(b int, e, w float64) {
	p.bins[b] += float32(w * e)
}
