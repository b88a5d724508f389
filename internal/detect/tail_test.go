package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// exceedance returns the fraction of n draws whose learned tail probability
// is at most p, the model learning every draw after scoring it.
func exceedance(n int, draw func() float64, p float64) float64 {
	t := newTail(logAlert)
	hits := 0
	lp := math.Log(p)
	for i := range n {
		y := logScore(draw())
		if i > n/10 && t.logP(y) <= lp {
			hits++
		}
		t.learn(y, DefaultConfig().ExcessRate)
	}
	return float64(hits) / float64(n-n/10)
}

func TestTailCalibration(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	normal := func() float64 { return math.Abs(r.NormFloat64()) }
	// For normal errors the Pareto tail is right at 1% and conservative
	// further out.
	if f := exceedance(400000, normal, 1e-2); f < 0.006 || f > 0.014 {
		t.Errorf("normal errors: %.4f of them have p ≤ 1%%", f)
	}
	if f := exceedance(400000, normal, 1e-3); f > 1e-3 {
		t.Errorf("normal errors: %.5f of them have p ≤ 0.1%%", f)
	}
	// For Cauchy errors, whose tail is a power law, it is right at both.
	cauchy := func() float64 { return math.Abs(math.Tan(math.Pi * (r.Float64() - 0.5))) }
	for _, p := range []float64{1e-2, 1e-3} {
		if f := exceedance(400000, cauchy, p); f < p/2 || f > 2*p {
			t.Errorf("Cauchy errors: %.5f of them have p ≤ %v", f, p)
		}
	}
	// A scale that is off by a factor of a million makes no difference.
	scaled := func() float64 { return 1e6 * math.Abs(r.NormFloat64()) }
	if f := exceedance(400000, scaled, 1e-2); f < 0.006 || f > 0.014 {
		t.Errorf("scaled normal errors: %.4f of them have p ≤ 1%%", f)
	}
}

func TestTailBound(t *testing.T) {
	tl := newTail(math.Log(1e-6))
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		tl.learn(logScore(math.Abs(r.NormFloat64())), 0.02)
	}
	// bound is kept incrementally; it must stay where logP reaches the
	// target.
	if got := tl.logP(math.Log(tl.bound)); math.Abs(got-math.Log(1e-6)) > 1e-6 {
		t.Errorf("logP(bound) = %v, want %v", got, math.Log(1e-6))
	}
	if tl.logP(tailMinLog) != 0 {
		t.Errorf("a zero error has log tail probability %v, want 0", tl.logP(tailMinLog))
	}
}

func TestValueTail(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var vt valueTail
	vt.init(0, 1)
	hits, n := 0, 400000
	for i := range n {
		x := r.ExpFloat64()
		if i > n/10 && vt.logP(x, 1e-9) <= math.Log(1e-3) {
			hits++
		}
		vt.learn(x, DefaultConfig().ValueStep, DefaultConfig().ExcessRate, 1e-9)
	}
	// The 95th percentile of Exp(1) is ln 20; the tail is exponential.
	if math.Abs(vt.u-math.Log(20)) > 0.3 {
		t.Errorf("threshold %v, want about %v", vt.u, math.Log(20))
	}
	if xi, sigma := vt.gpd(1e-9); xi > 0.15 || math.Abs(sigma-1) > 0.3 {
		t.Errorf("shape %v scale %v, want about 0 and 1", xi, sigma)
	}
	if f := float64(hits) / float64(n-n/10); f < 3e-4 || f > 3e-3 {
		t.Errorf("%.5f of exponential values have p ≤ 0.1%%", f)
	}
	// A Pareto tail (shape ½) is recognised as heavy.
	var heavy valueTail
	heavy.init(1, 1)
	for range n {
		heavy.learn(math.Pow(r.Float64(), -0.5), 0.01, 0.02, 1e-9)
	}
	if xi, _ := heavy.gpd(1e-9); xi < 0.3 {
		t.Errorf("Pareto values: shape %v, want about 0.5", xi)
	}
	if heavy.logP(0, 1e-9) != 0 {
		t.Error("a value below the threshold is in the tail")
	}
}

func TestRecord(t *testing.T) {
	// Level 5: the ends of the range are 5 away from it.
	r := record{hi: 10, lo: 0}
	lnN := math.Log(100)
	for _, c := range []struct {
		x    float64
		want float64
	}{
		{5, 0}, {10.4, 0}, {-0.4, 0},
		{10.6, -(1 + 2*0.6/5) * lnN}, {-0.6, -(1 + 2*0.6/5) * lnN},
		// Twice the distance from the level: much rarer than a record.
		{15, -3 * lnN},
	} {
		if got := r.logP(c.x, 5, 100, 50); got != c.want && !(c.want != 0 && math.Abs(got-c.want) < 1e-12) {
			t.Errorf("logP(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// The memory caps n.
	if got := r.logP(10.6, 5, 1000000, math.Log(500)); math.Abs(got+(1+2*0.6/5)*math.Log(500)) > 1e-12 {
		t.Errorf("capped: %v", got)
	}
	// A level at the end of the range measures the excess against the
	// tolerance instead.
	if got := r.logP(11, 10, 100, 50); math.Abs(got+(1+2*1/0.5)*lnN) > 1e-12 {
		t.Errorf("level at the high end: %v", got)
	}
	// The range decays towards the level and widens to new values.
	r.learn(5, 5, 0.5)
	if r.hi != 7.5 || r.lo != 2.5 {
		t.Errorf("after decay: %+v", r)
	}
	r.learn(12, 5, 1)
	if r.hi != 12 || r.lo != 2.5 {
		t.Errorf("after a new high: %+v", r)
	}
	flat := record{hi: 3, lo: 3}
	if flat.logP(4, 3, 10, 10) != 0 {
		t.Error("a record on a range of width 0 (no tolerance to measure)")
	}
}

func TestErrorRecord(t *testing.T) {
	lnN := math.Log(100)
	for _, c := range []struct {
		e, top, want float64
	}{
		{0, 2, 0}, {2, 2, 0}, {-2.09, 2, 0}, {2, 0, 0},
		{2.2, 2, -(1 + 2*0.1) * lnN}, {-4, 2, -3 * lnN},
	} {
		if got := errorRecordLogP(c.e, c.top, 100, 50); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("errorRecordLogP(%v, %v) = %v, want %v", c.e, c.top, got, c.want)
		}
	}
}

func TestCUSUM(t *testing.T) {
	g := gauss(11)
	var c cusum
	maxStat := 0.0
	for range 5000 {
		maxStat = max(maxStat, c.update(g(), 0.01))
	}
	if maxStat > 15 {
		t.Errorf("no change, yet the statistic reached %v", maxStat)
	}
	// A shift of two standard deviations is confirmed (30) within 50
	// samples, although no single sample stands out.
	for range 50 {
		if c.update(2+g(), 0.01) >= 30 {
			if c.run == 0 || c.logP() > -29 {
				t.Errorf("run %d, logP %v", c.run, c.logP())
			}
			c.restart()
			if c.stat() != 0 || c.run != 0 {
				t.Error("restart left state behind")
			}
			return
		}
	}
	t.Error("a 2σ shift not confirmed in 50 samples")
}
