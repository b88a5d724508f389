package m4

import (
	"math"
	"testing"
)

func BenchmarkNaive2(b *testing.B) {
	y := make([]float64, 960)
	for i := range y {
		y[i] = 100 + 30*math.Sin(2*math.Pi*float64(i%24)/24) + float64(i%7)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Naive2{}).Forecast(y, Horizon); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScore(b *testing.B) {
	train := make([]float64, 960)
	for i := range train {
		train[i] = 100 + float64(i%24)
	}
	test, fc := train[:Horizon], train[Horizon:2*Horizon]
	b.ReportAllocs()
	for b.Loop() {
		_ = SMAPE(test, fc) + MASE(train, test, fc, Frequency)
	}
}
