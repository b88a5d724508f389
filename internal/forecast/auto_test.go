package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var hourlyPeriods = []int{24, 168}

// checkPrediction fails unless p has h finite values inside ordered
// intervals.
func checkPrediction(t *testing.T, name string, p Prediction, h int) {
	t.Helper()
	if len(p.Mean) != h || len(p.Lower) != h || len(p.Upper) != h {
		t.Fatalf("%s: %d/%d/%d values, want %d", name, len(p.Mean), len(p.Lower), len(p.Upper), h)
	}
	for j := range p.Mean {
		if !isFinite(p.Mean[j]) || !isFinite(p.Lower[j]) || !isFinite(p.Upper[j]) {
			t.Fatalf("%s: step %d: non-finite %g [%g, %g]", name, j+1, p.Mean[j], p.Lower[j], p.Upper[j])
		}
		if p.Lower[j] > p.Mean[j] || p.Mean[j] > p.Upper[j] {
			t.Fatalf("%s: step %d: %g outside [%g, %g]", name, j+1, p.Mean[j], p.Lower[j], p.Upper[j])
		}
	}
}

func TestAutoBadInput(t *testing.T) {
	nan := math.NaN()
	gappy := hourly(600, 3, 2)
	for i := 5; i < len(gappy); i += 9 {
		gappy[i] = nan
	}
	infs := hourly(600, 3, 2)
	infs[100], infs[101] = math.Inf(1), math.Inf(-1)
	zeros := hourly(600, 3, 2)
	for i := range zeros {
		if i%24 < 8 {
			zeros[i] = 0 // Nothing happens at night.
		}
	}
	negative := hourly(600, 3, 2)
	for i := range negative {
		negative[i] -= 220
	}
	huge := hourly(600, 3, 2)
	for i := range huge {
		huge[i] *= 1e200
	}
	constant := slices.Repeat([]float64{42}, 500)
	constantGaps := slices.Clone(constant)
	constantGaps[7], constantGaps[499] = nan, nan

	for _, c := range []struct {
		name     string
		y        []float64
		fallback string // a substring of Prediction.Fallback; "" for none
		note     string // a substring of one of Prediction.Notes
		model    string // the expected Model, when it is known
	}{
		{name: "one value", y: []float64{5}, fallback: "constant", model: "constant"},
		{name: "two values", y: []float64{5, 6}, fallback: "fewer than two seasons", model: "naive"},
		{name: "five values", y: []float64{5, 6, 4, 7, 5}, fallback: "fewer than two seasons", model: "ets"},
		{name: "short", y: hourly(40, 3, 1), fallback: "fewer than two seasons", model: "ets"},
		{name: "constant", y: constant, fallback: "constant", model: "constant"},
		{name: "constant with gaps", y: constantGaps, fallback: "constant", note: "missing", model: "constant"},
		{name: "gaps", y: gappy, note: "filled"},
		{name: "infinities", y: infs, note: "filled 2"},
		{name: "leading gaps", y: append([]float64{nan, nan}, hourly(600, 3, 2)...), note: "start"},
		{name: "zeros", y: zeros, note: "≤ 0"},
		{name: "negative", y: negative, note: "≤ 0"},
		{name: "huge", y: huge},
	} {
		const h = 48
		p, err := Auto{Periods: hourlyPeriods}.Predict(c.y, h)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkPrediction(t, c.name, p, h)
		if c.fallback == "" && p.Fallback != "" {
			t.Errorf("%s: unexpected fallback %q", c.name, p.Fallback)
		}
		if !strings.Contains(p.Fallback, c.fallback) {
			t.Errorf("%s: fallback %q, want it to mention %q", c.name, p.Fallback, c.fallback)
		}
		if c.note != "" && !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, c.note) }) {
			t.Errorf("%s: notes %q, want one mentioning %q", c.name, p.Notes, c.note)
		}
		if c.model != "" && p.Model != c.model {
			t.Errorf("%s: model %q, want %q", c.name, p.Model, c.model)
		}
	}
}

func TestAutoConstantForecast(t *testing.T) {
	p, err := Auto{Periods: hourlyPeriods}.Predict(slices.Repeat([]float64{-3}, 100), 5)
	if err != nil {
		t.Fatal(err)
	}
	for j := range p.Mean {
		if p.Mean[j] != -3 || p.Lower[j] != -3 || p.Upper[j] != -3 {
			t.Fatalf("step %d: %g [%g, %g], want -3 exactly", j+1, p.Mean[j], p.Lower[j], p.Upper[j])
		}
	}
}

func TestAutoErrors(t *testing.T) {
	a := Auto{Periods: hourlyPeriods}
	if _, err := a.Predict(hourly(300, 1, 1), 0); !errors.Is(err, ErrHorizon) {
		t.Errorf("h = 0: err = %v, want ErrHorizon", err)
	}
	for _, y := range [][]float64{nil, {math.NaN(), math.NaN()}} {
		if _, err := a.Predict(y, 5); !errors.Is(err, ErrNoData) {
			t.Errorf("%v: err = %v, want ErrNoData", y, err)
		}
	}
}

func TestAutoTrailingGapsShiftTheForecast(t *testing.T) {
	// With the last k values missing, the forecast of the next h steps is the
	// forecast of h+k steps from the last known value, without its first k.
	y := hourly(700, 3, 4)
	const k, h = 5, 24
	gappy := slices.Clone(y)
	for i := len(y) - k; i < len(y); i++ {
		gappy[i] = math.NaN()
	}
	a := Auto{Periods: hourlyPeriods}
	got, err := a.Predict(gappy, h)
	if err != nil {
		t.Fatal(err)
	}
	want, err := a.Predict(y[:len(y)-k], h+k)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Mean, want.Mean[k:]) {
		t.Fatalf("forecast %v, want %v", got.Mean[:3], want.Mean[k:k+3])
	}
}

func TestAutoIsDeterministic(t *testing.T) {
	y := hourly(800, 4, 8)
	a := Auto{Periods: hourlyPeriods}
	p1, err1 := a.Predict(y, 48)
	p2, err2 := a.Predict(y, 48)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Fatal("two predictions of the same series differ")
	}
}

func TestAutoCandidates(t *testing.T) {
	p, err := Auto{Periods: hourlyPeriods}.Predict(hourly(800, 4, 8), 48)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Candidates) != len(DefaultModels(hourlyPeriods)) {
		t.Fatalf("%d candidates, want %d", len(p.Candidates), len(DefaultModels(hourlyPeriods)))
	}
	var sum float64
	members := 0
	for i, c := range p.Candidates {
		if i > 0 && c.Score < p.Candidates[i-1].Score {
			t.Fatalf("candidates not sorted by score: %+v", p.Candidates)
		}
		if c.Weight > 0 {
			members++
			if i >= DefaultCombine {
				t.Errorf("member %s ranked %d", c.Name, i+1)
			}
		}
		sum += c.Weight
	}
	if members != DefaultCombine || p.Model != "ensemble" || math.Abs(sum-1) > 1e-12 {
		t.Fatalf("%d members with weights summing to %g, model %q; want %d, 1 and ensemble", members, sum, p.Model, DefaultCombine)
	}
}

func TestAutoCombinations(t *testing.T) {
	y := hourly(800, 4, 8)
	best, err := Auto{Periods: hourlyPeriods, Combination: CombineBest}.Predict(y, 48)
	if err != nil {
		t.Fatal(err)
	}
	if best.Model != best.Candidates[0].Name || best.Candidates[0].Weight != 1 {
		t.Fatalf("best: model %q, want %q with weight 1", best.Model, best.Candidates[0].Name)
	}
	weighted, err := Auto{Periods: hourlyPeriods, Combination: CombineWeighted}.Predict(y, 48)
	if err != nil {
		t.Fatal(err)
	}
	// Inverse-error weights: the better candidate weighs more.
	if c := weighted.Candidates; !(c[0].Weight >= c[1].Weight && c[1].Weight >= c[2].Weight && c[2].Weight > 0) {
		t.Fatalf("weights %g, %g, %g not decreasing", c[0].Weight, c[1].Weight, c[2].Weight)
	}
}

func TestAutoBeatsSeasonalNaive(t *testing.T) {
	// On noisy series with a daily and a weekly season the selection must do
	// better than repeating the last day.
	const h = 48
	var autoErr, naiveErr float64
	for seed := range uint64(10) {
		y := hourly(24*7*5+h, 8, seed)
		train, test := y[:len(y)-h], y[len(y)-h:]
		p, err := Auto{Periods: hourlyPeriods}.Predict(train, h)
		if err != nil {
			t.Fatal(err)
		}
		sn, _ := SeasonalNaive{Period: 24}.Forecast(train, h)
		for j := range test {
			autoErr += math.Abs(test[j] - p.Mean[j])
			naiveErr += math.Abs(test[j] - sn[j])
		}
	}
	t.Logf("absolute error: auto %.1f, seasonal naive %.1f", autoErr, naiveErr)
	if !(autoErr < 0.8*naiveErr) {
		t.Fatalf("auto absolute error %.1f, seasonal naive %.1f: want auto at least 20%% better", autoErr, naiveErr)
	}
}

func TestAutoIntervalCoverage(t *testing.T) {
	// The 90% intervals of series whose errors match the backtest's must
	// cover most of the future values.
	const h, series = 48, 30
	r := rand.New(rand.NewPCG(1, 2))
	inside := 0
	for range series {
		y := hourly(24*7*5+h, 5, r.Uint64())
		p, err := Auto{Periods: hourlyPeriods}.Predict(y[:len(y)-h], h)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range y[len(y)-h:] {
			if v >= p.Lower[j] && v <= p.Upper[j] {
				inside++
			}
		}
	}
	cov := float64(inside) / (h * series)
	t.Logf("coverage %.3f", cov)
	if cov < 0.75 || cov > 0.995 {
		t.Fatalf("coverage %.3f of nominal 0.9", cov)
	}
}
