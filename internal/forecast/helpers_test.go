package forecast

import (
	"math"
	"math/rand/v2"
)

// hourly returns n values of a synthetic hourly series: a level with a slight
// trend, a daily and a weekly season, and Gaussian noise of the given
// standard deviation, from a fixed seed.
func hourly(n int, noise float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		day := math.Sin(2 * math.Pi * float64(t%24) / 24)
		week := 0.0
		if d := (t / 24) % 7; d >= 5 {
			week = -20
		}
		y[t] = 200 + 0.02*float64(t) + 40*day + week + noise*r.NormFloat64()
	}
	return y
}
