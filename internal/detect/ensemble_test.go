package detect

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

const minute = 60 * 1000

// gauss returns a deterministic source of standard normal numbers.
func gauss(seed uint64) func() float64 {
	return rand.New(rand.NewPCG(seed, 7)).NormFloat64
}

func newEnsemble(t testing.TB) *Ensemble {
	t.Helper()
	d, err := NewEnsemble(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkResult fails if r is not a well-formed verdict.
func checkResult(t *testing.T, i int, r Result) {
	t.Helper()
	if !(r.Score >= 0 && r.Score <= 1) || !(r.Probability >= 0 && r.Probability <= 1) ||
		math.IsNaN(r.Expected.Low) || math.IsNaN(r.Expected.High) || r.Expected.Low > r.Expected.High {
		t.Fatalf("sample %d: malformed result %+v", i, r)
	}
}

func observeAll(t *testing.T, d Detector, samples []Sample) []Result {
	t.Helper()
	out := make([]Result, len(samples))
	for i, s := range samples {
		out[i] = d.Observe(s)
		checkResult(t, i, out[i])
	}
	return out
}

// noisy returns n samples a minute apart of level + sd·N(0, 1).
func noisy(n int, level, sd float64, seed uint64) []Sample {
	g := gauss(seed)
	s := make([]Sample, n)
	for i := range s {
		s[i] = Sample{T: int64(i) * minute, V: level + sd*g()}
	}
	return s
}

func TestEnsembleIgnoresSamplesWithoutValue(t *testing.T) {
	clean := noisy(600, 100, 5, 1)
	clean[500].V = 300
	var dirty []Sample
	for i, s := range clean {
		dirty = append(dirty, s)
		if i%50 == 7 {
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				dirty = append(dirty, Sample{T: s.T + 1, V: v})
			}
		}
	}
	want := observeAll(t, newEnsemble(t), clean)
	got := observeAll(t, newEnsemble(t), dirty)
	j := 0
	for i, s := range dirty {
		if math.IsNaN(s.V) || math.IsInf(s.V, 0) {
			if got[i].Score != 0 || got[i].Probability != 0 || got[i].Fired != 0 {
				t.Fatalf("sample %d (%v) scored %+v", i, s.V, got[i])
			}
			continue
		}
		if got[i] != want[j] {
			t.Fatalf("valid sample %d: %+v with non-finite samples in between, %+v without", j, got[i], want[j])
		}
		j++
	}
}

func TestEnsembleDoesNotLearnDuplicatesOrOutOfOrder(t *testing.T) {
	clean := noisy(400, 10, 1, 2)
	var dirty []Sample
	for i, s := range clean {
		dirty = append(dirty, s)
		switch i % 40 {
		case 5:
			dirty = append(dirty, Sample{T: s.T, V: s.V + 50}) // a duplicate timestamp
		case 9:
			dirty = append(dirty, Sample{T: s.T - 30*minute, V: -40}) // late
		}
	}
	want := observeAll(t, newEnsemble(t), clean)
	d := newEnsemble(t)
	j := 0
	for i, s := range dirty {
		r := d.Observe(s)
		checkResult(t, i, r)
		if i > 0 && s.T <= dirty[i-1].T {
			if r.Drift {
				t.Fatalf("sample %d: a sample not learned reported drift", i)
			}
			continue
		}
		if r != want[j] {
			t.Fatalf("sample %d: %+v, want %+v as without the duplicates", j, r, want[j])
		}
		j++
	}
	// The duplicate far from the level is still scored.
	d2 := newEnsemble(t)
	observeAll(t, d2, clean[:300])
	if r := d2.Observe(Sample{T: clean[299].T, V: 1000}); r.Score < AlertThreshold {
		t.Errorf("a duplicate at 1000 scored %v", r.Score)
	}
}

func TestEnsembleGapsAndExtremeValues(t *testing.T) {
	s := noisy(300, 100, 2, 3)
	for i := 150; i < len(s); i++ {
		s[i].T += 30 * 24 * 60 * minute // a month without data
	}
	s = append(s,
		Sample{T: s[len(s)-1].T + minute, V: math.MaxFloat64},
		Sample{T: s[len(s)-1].T + 2*minute, V: -math.MaxFloat64},
		Sample{T: s[len(s)-1].T + 3*minute, V: 1e300},
		Sample{T: s[len(s)-1].T + 4*minute, V: math.SmallestNonzeroFloat64},
		Sample{T: s[len(s)-1].T + 5*minute, V: 100},
	)
	r := observeAll(t, newEnsemble(t), s)
	if r[300].Score < AlertThreshold {
		t.Errorf("MaxFloat64 scored %v", r[300].Score)
	}
	// Negative timestamps (before 1970) fold into the seasons too.
	d := newEnsemble(t)
	for i := range 100 {
		checkResult(t, i, d.Observe(Sample{T: -int64(100-i) * 5 * minute, V: float64(i % 3)}))
	}
}

func TestEnsembleConstantSeries(t *testing.T) {
	d := newEnsemble(t)
	for i := range 2000 {
		r := d.Observe(Sample{T: int64(i) * minute, V: 42})
		checkResult(t, i, r)
		if r.Score != 0 || r.Alert {
			t.Fatalf("sample %d of a constant series: %+v", i, r)
		}
	}
	if r := d.Observe(Sample{T: 2000 * minute, V: 42}); !r.Expected.Contains(42) || r.Expected.Contains(42.001) {
		t.Errorf("expected range of a constant series: %+v", r.Expected)
	}
	r := d.Observe(Sample{T: 2001 * minute, V: 43})
	if r.Score < AlertThreshold || !r.Alert || r.Fired&Level == 0 {
		t.Errorf("a constant series that changes: %+v", r)
	}
}

func TestEnsembleSpike(t *testing.T) {
	s := noisy(3000, 100, 5, 4)
	s[2000].V = 200 // 20 standard deviations, beyond every value seen
	d := newEnsemble(t)
	res := observeAll(t, d, s)
	r := res[2000]
	if r.Score < 0.9 || !r.Alert || r.Fired&(Level|Extreme|Novel) != Level|Extreme|Novel || r.Probability < 0.999999 {
		t.Errorf("spike: %+v", r)
	}
	if before := res[1999].Expected; !before.Contains(100) || before.Contains(200) || before.High-before.Low > 200 {
		t.Errorf("expected range before the spike: %+v", before)
	}
	// The spike is not learned by the baseline: the expected range after it
	// has the same centre and still excludes it. (It is wider: the error
	// calibration has learned that this series can jump.)
	after, before := res[2001].Expected, res[1999].Expected
	if after.Contains(200) || math.Abs((after.High+after.Low)/2-(before.High+before.Low)/2) > 5 {
		t.Errorf("expected range moved after the spike: %+v, before %+v", after, before)
	}
	// False alerts on the normal samples are rare: p = 1e-5 each.
	alerts := 0
	for i, r := range res {
		if i != 2000 && r.Score >= AlertThreshold {
			alerts++
		}
	}
	if alerts > 1 {
		t.Errorf("%d of 2999 normal samples scored above the alert threshold", alerts)
	}
}

func TestEnsembleLevelShiftBecomesBaseline(t *testing.T) {
	s := noisy(3000, 100, 1, 5)
	for i := 1500; i < len(s); i++ {
		s[i].V += 30
	}
	res := observeAll(t, newEnsemble(t), s)
	if res[1500].Score < AlertThreshold {
		t.Errorf("the shift scored %v", res[1500].Score)
	}
	drift := -1
	for i := 1500; i < 1600; i++ {
		if res[i].Drift {
			drift = i
			break
		}
	}
	if drift < 0 {
		t.Fatal("no drift reported in the 100 samples after a lasting shift")
	}
	for i := drift + 50; i < len(res); i++ {
		if res[i].Score >= AlertThreshold {
			t.Errorf("sample %d scored %v after the shift was accepted", i, res[i].Score)
		}
	}
	if last := res[len(res)-1].Expected; !last.Contains(130) || last.Contains(100) {
		t.Errorf("expected range after the shift: %+v", last)
	}
}

// daily returns n five-minute samples of a square daily pattern: high from
// 08:00 to 18:00 UTC, low otherwise, with unit noise.
func daily(days int, seed uint64) []Sample {
	g := gauss(seed)
	var s []Sample
	for i := range days * 288 {
		t := int64(i) * 5 * minute
		h := (t / (60 * minute)) % 24
		v := 20.0
		if h >= 8 && h < 18 {
			v = 80
		}
		s = append(s, Sample{T: t, V: v + g()})
	}
	return s
}

func TestEnsembleFindsDailySeason(t *testing.T) {
	s := daily(10, 6)
	// On the ninth day the high level comes at 03:00 for half an hour: every
	// value is common, but not at that time of day.
	at := 8*288 + 3*12
	for i := at; i < at+6; i++ {
		s[i].V = 80
	}
	d := newEnsemble(t)
	res := observeAll(t, d, s)
	if d.Season() != SeasonDaily {
		t.Errorf("season %v, want daily", d.Season())
	}
	best := Result{}
	for _, r := range res[at : at+6] {
		if r.Score > best.Score {
			best = r
		}
	}
	if best.Score < AlertThreshold || best.Fired&Level == 0 {
		t.Errorf("night-time high: best %+v", best)
	}
	// The regular transitions at 08:00 and 18:00 on the last day are
	// expected by then.
	for i := 9 * 288; i < 10*288; i++ {
		if res[i].Score >= AlertThreshold {
			t.Errorf("sample %d on the last day scored %v", i, res[i].Score)
		}
	}
}

func TestEnsembleFindsWeeklySeason(t *testing.T) {
	g := gauss(7)
	d := newEnsemble(t)
	for i := range 5 * 7 * 96 { // five weeks, 15-minute samples
		t0 := int64(i) * 15 * minute
		day := (t0/(24*60*minute) + 3) % 7 // 0 is Monday
		v := 100.0
		if day >= 5 {
			v = 40
		}
		checkResult(t, i, d.Observe(Sample{T: t0, V: v + 3*g()}))
	}
	if d.Season() != SeasonWeekly {
		t.Errorf("season %v, want weekly", d.Season())
	}
	noise := newEnsemble(t)
	observeAll(t, noise, noisy(20000, 0, 1, 8))
	if noise.Season() != SeasonNone {
		t.Errorf("noise: season %v, want none", noise.Season())
	}
}

func TestEnsembleHysteresisAndDamping(t *testing.T) {
	s := noisy(1500, 0, 1, 9)
	s[1000].V, s[1010].V = 40, 40
	res := observeAll(t, newEnsemble(t), s)
	first, second := res[1000], res[1010]
	if first.Score < AlertThreshold || !first.Alert {
		t.Fatalf("first spike: %+v", first)
	}
	// The same spike again soon after is as improbable but damped.
	if second.Probability < 0.999999 || second.Score >= first.Score {
		t.Errorf("second spike %+v not damped below the first %+v", second, first)
	}
	// The alert holds through the quiet samples in between and clears
	// only after Hold quiet samples.
	for i := 1001; i < 1000+DefaultConfig().Hold; i++ {
		if !res[i].Alert {
			t.Errorf("alert cleared at sample %d, %d after the spike", i, i-1000)
		}
	}
	if res[1499].Alert {
		t.Error("alert still on 489 samples after the last spike")
	}
}

func TestEnsembleIsDeterministicAndCopyable(t *testing.T) {
	s := daily(4, 10)
	s[700].V = 300
	a, b := newEnsemble(t), newEnsemble(t)
	ra := observeAll(t, a, s[:600])
	rb := observeAll(t, b, s[:600])
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("sample %d: %+v then %+v", i, ra[i], rb[i])
		}
	}
	// A copy of the state carries on exactly like the original.
	c := *a
	for i, x := range s[600:] {
		if r1, r2 := a.Observe(x), c.Observe(x); r1 != r2 {
			t.Fatalf("sample %d: original %+v, copy %+v", 600+i, r1, r2)
		}
	}
}

func TestEnsembleStateSize(t *testing.T) {
	const budget = 4096
	if size := unsafe.Sizeof(Ensemble{}); size > budget {
		t.Errorf("an Ensemble holds %d bytes, over the %d-byte budget per series", size, budget)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.FastRate = 0 }, "FastRate is 0"},
		{func(c *Config) { c.SlowRate = 1.5 }, "SlowRate is 1.5"},
		{func(c *Config) { c.ScaleRate = math.NaN() }, "ScaleRate is NaN"},
		{func(c *Config) { c.NoiseFloor = -0.1 }, "NoiseFloor is -0.1"},
		{func(c *Config) { c.Clip = 0 }, "Clip is 0"},
		{func(c *Config) { c.ChangeConfirm = math.Inf(1) }, "ChangeConfirm is +Inf"},
		{func(c *Config) { c.RangeHalfLife = -1 }, "RangeHalfLife is -1"},
		{func(c *Config) { c.WarmUp = 0 }, "WarmUp is 0"},
		{func(c *Config) { c.Hold = -1 }, "Hold is -1"},
	} {
		cfg := DefaultConfig()
		c.change(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
		if _, err := NewEnsemble(cfg); err == nil {
			t.Errorf("NewEnsemble accepted a config with %q", c.want)
		}
	}
	// Zero is allowed where it switches a feature off.
	cfg := DefaultConfig()
	cfg.NoiseFloor, cfg.Damp, cfg.Hold = 0, 0, 0
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

// TestHoldKeepsTheBaseline runs a steady series into a long outage at a
// level the detector would otherwise come to accept: held, the outage
// stays anomalous to the end and the baseline is the old one after it.
func TestHoldKeepsTheBaseline(t *testing.T) {
	run := func(hold bool) (alertsAtEnd bool, after Result) {
		d, err := NewEnsemble(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		ts := int64(0)
		for i := range 3000 {
			ts += 15000
			d.Observe(Sample{T: ts, V: 100 + float64(i%7)})
		}
		var last Result
		for range 2000 { // More than eight hours at 15 s: long enough to drift.
			ts += 15000
			last = d.Observe(Sample{T: ts, V: 20, Hold: hold})
		}
		ts += 15000
		return last.Alert, d.Observe(Sample{T: ts, V: 103})
	}
	heldAlert, heldAfter := run(true)
	freeAlert, freeAfter := run(false)
	if !heldAlert || !heldAfter.Expected.Contains(103) {
		t.Fatalf("held: alert at the end %v, expected after %+v", heldAlert, heldAfter.Expected)
	}
	if freeAlert && freeAfter.Expected.Contains(103) {
		t.Fatalf("without hold the outage was never learned: alert %v, expected %+v — the test shows nothing", freeAlert, freeAfter.Expected)
	}
}
