package forecast

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzAutoPredict feeds Auto arbitrary series: it must return ErrNoData or h
// finite values inside finite, ordered intervals.
func FuzzAutoPredict(f *testing.F) {
	enc := func(y ...float64) []byte {
		b := make([]byte, 8*len(y))
		for i, v := range y {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	f.Add(enc(hourly(100, 2, 1)...), uint8(24))
	f.Add(enc(1, math.NaN(), 3, math.Inf(1), 5), uint8(3))
	f.Add(enc(0, 0, 0, 0), uint8(1))
	f.Add(enc(-1e300, 1e300, -1e300, 1e300, 5, 6, 7, 8, 9, 10, 11, 12), uint8(9))
	f.Add(enc(math.MaxFloat64, 0, math.MaxFloat64, 0, math.MaxFloat64, 0, math.MaxFloat64, 0, math.MaxFloat64, 0, 1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, hb uint8) {
		n := min(len(data)/8, 400)
		y := make([]float64, n)
		for i := range y {
			y[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		h := int(hb)%60 + 1
		p, err := Auto{Periods: []int{4, 12}}.Predict(y, h)
		if errors.Is(err, ErrNoData) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkPrediction(t, "fuzz", p, h)
	})
}
