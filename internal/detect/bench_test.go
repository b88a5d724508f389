package detect

import (
	"math"
	"testing"
	"unsafe"
)

// benchSeries is a day-and-a-half of one-minute samples with a daily cycle,
// noise and a few spikes, replayed by the benchmarks.
func benchSeries() []Sample {
	g := gauss(42)
	s := make([]Sample, 2048)
	for i := range s {
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/1440) + 3*g()
		if i%500 == 499 {
			v += 60
		}
		s[i] = Sample{T: int64(i) * minute, V: v}
	}
	return s
}

// run feeds the series to observe over and over, with timestamps moving on,
// and reports samples per second and the bytes of state per series.
func run(b *testing.B, stateBytes uintptr, observe func(Sample) Result) {
	s := benchSeries()
	span := s[len(s)-1].T + minute
	var off int64
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		x := s[i]
		x.T += off
		observe(x)
		if i++; i == len(s) {
			i, off = 0, off+span
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(stateBytes), "state-bytes")
}

// BenchmarkEnsemble measures one series, whose state stays in the cache.
func BenchmarkEnsemble(b *testing.B) {
	d, err := NewEnsemble(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	run(b, unsafe.Sizeof(*d), d.Observe)
}

// BenchmarkEnsemble10kSeries measures 10,000 series fed in turn, as the
// engine feeds them: 33 MB of state that does not stay in the cache.
func BenchmarkEnsemble10kSeries(b *testing.B) {
	ds := make([]Ensemble, 10000)
	for i := range ds {
		d, err := NewEnsemble(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		ds[i] = *d
	}
	k := 0
	run(b, unsafe.Sizeof(ds[0]), func(s Sample) Result {
		r := ds[k].Observe(s)
		if k++; k == len(ds) {
			k = 0
		}
		return r
	})
}

// BenchmarkWindowedGaussian measures NAB's baseline, for comparison.
func BenchmarkWindowedGaussian(b *testing.B) {
	d := NewWindowedGaussian()
	run(b, unsafe.Sizeof(*d)+uintptr(8*(cap(d.window)+cap(d.sq))), d.Observe)
}
