package detect

import (
	"math"
	"testing"
)

// TestWindowedGaussianNAB replays the first rows of NAB's
// realTraffic/speed_7578.csv and compares the scores with NAB's stored
// results for its Windowed Gaussian detector
// (results/windowedGaussian/realTraffic/windowedGaussian_speed_7578.csv).
func TestWindowedGaussianNAB(t *testing.T) {
	values := []float64{73, 62, 66, 69, 65, 76, 65, 62, 61, 65}
	want := []float64{0, 1, 0.607468565726, 0.670010205067, 0.732428273801, 0.991921534369,
		0.76764895003, 0.904032549238, 0.906490564606, 0.625076556718}
	d := NewWindowedGaussian()
	for i, v := range values {
		if got := d.Observe(Sample{T: int64(i), V: v}).Score; got != want[i] {
			t.Errorf("row %d (%v): score %.12g, NAB %.12g", i, v, got, want[i])
		}
	}
}

func TestWindowedGaussianSlidesInSteps(t *testing.T) {
	d := NewWindowedGaussian()
	for i := range wgWindow {
		d.Observe(Sample{T: int64(i), V: float64(i % 2)}) // mean 0.5, std 0.5
	}
	if d.mean != 0.5 || d.std != 0.5 {
		t.Fatalf("after a full window: mean %v std %v", d.mean, d.std)
	}
	// The next 99 values wait in the step buffer; the 100th moves the
	// window by 100 values at once.
	for i := range wgStep - 1 {
		d.Observe(Sample{V: 10})
		if d.mean != 0.5 {
			t.Fatalf("the window moved after %d buffered values", i+1)
		}
	}
	d.Observe(Sample{V: 10})
	if want := (0.5*(wgWindow-wgStep) + 10*wgStep) / wgWindow; math.Abs(d.mean-want) > 1e-12 {
		t.Errorf("mean after one step %v, want %v", d.mean, want)
	}
}

func TestWindowedGaussianBadInput(t *testing.T) {
	d := NewWindowedGaussian()
	if r := d.Observe(Sample{V: math.NaN()}); r.Score != 0 || !math.IsInf(r.Expected.High, 1) {
		t.Errorf("NaN first: %+v", r)
	}
	for _, v := range []float64{5, 5, 5} {
		d.Observe(Sample{V: v})
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if r := d.Observe(Sample{V: v}); r.Score != 0 {
			t.Errorf("%v scored %v", v, r.Score)
		}
	}
	// A constant window has the deviation 1e-6, so a small change scores 1.
	if r := d.Observe(Sample{V: 5.1}); r.Score != 1 || len(d.window) != 4 {
		t.Errorf("after a constant window: %+v, window %d", r, len(d.window))
	}
}
