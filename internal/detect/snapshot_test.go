package detect

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/testenv"
)

// The Ensemble is saved and restored through the standard interfaces.
var (
	_ encoding.BinaryMarshaler   = (*Ensemble)(nil)
	_ encoding.BinaryAppender    = (*Ensemble)(nil)
	_ encoding.BinaryUnmarshaler = (*Ensemble)(nil)
)

// nabLike returns n samples five minutes apart shaped like NAB's real
// series: a daily and a weekly cycle, heavy-tailed noise quantised to a
// tenth, spikes, a dip, a level shift that lasts and a noisy stretch.
func nabLike(n int, seed uint64) []Sample {
	g := gauss(seed)
	const step = 5 * minute
	s := make([]Sample, n)
	for i := range s {
		t := int64(i) * step
		day := 2 * math.Pi * float64(t%dayMs) / dayMs
		v := 50 + 12*math.Sin(day) + 4*math.Sin(2*math.Pi*float64(t%weekMs)/weekMs)
		e := g()
		v += 2 * e * e * e / (1 + math.Abs(e))
		switch {
		case i%1700 == 1234:
			v += 80
		case i >= 3100 && i < 3130:
			v -= 35
		case i >= 4800:
			v += 25
		}
		if i >= 5600 && i < 5900 {
			v += 10 * g()
		}
		s[i] = Sample{T: t, V: math.Round(v*10) / 10}
	}
	return s
}

// readNAB reads one NAB data file.
func readNAB(t *testing.T, path string) []Sample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	s := make([]Sample, 0, len(rows))
	for i, row := range rows[1:] {
		ts, err := time.Parse(time.DateTime, row[0])
		if err != nil {
			t.Fatalf("%s row %d: %v", path, i+2, err)
		}
		v, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			t.Fatalf("%s row %d: %v", path, i+2, err)
		}
		s = append(s, Sample{T: ts.UnixMilli(), V: v})
	}
	return s
}

// snapshot returns d's snapshot and a new Ensemble restored from it, built
// with another configuration to show that the snapshot carries its own.
func snapshot(t *testing.T, d *Ensemble) ([]byte, *Ensemble) {
	t.Helper()
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.WarmUp, cfg.FastRate = 7, 0.5
	r, err := NewEnsemble(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatalf("restore a snapshot of %d bytes: %v", len(b), err)
	}
	return b, r
}

// checkContinues feeds next to d and to a detector restored from its
// snapshot, and fails at the first Result that differs.
func checkContinues(t *testing.T, name string, d *Ensemble, next []Sample) {
	t.Helper()
	b, r := snapshot(t, d)
	if again, _ := r.MarshalBinary(); !bytes.Equal(again, b) {
		t.Fatalf("%s: the restored state encodes differently", name)
	}
	for i, s := range next {
		if want, got := d.Observe(s), r.Observe(s); want != got {
			t.Fatalf("%s: sample %d after the snapshot: original %+v, restored %+v", name, i, want, got)
		}
	}
	b1, _ := d.MarshalBinary()
	b2, _ := r.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatalf("%s: states differ after %d samples", name, len(next))
	}
}

// TestEnsembleSnapshotContinuesExactly snapshots after 5000 samples and
// compares every Result of the next 2000 between the original and the
// restored detector, on NAB-shaped data and at the edges of the state's
// life: before the first sample, during and at the end of the warm-up.
func TestEnsembleSnapshotContinuesExactly(t *testing.T) {
	s := nabLike(7000, 3)
	for _, at := range []int{0, 1, 2, 29, 30, 31, 3110, 4810, 5000} {
		d := newEnsemble(t)
		for _, x := range s[:at] {
			d.Observe(x)
		}
		checkContinues(t, "nab-like at "+strconv.Itoa(at), d, s[at:min(at+2000, len(s))])
	}
	// Samples without a value, duplicates and gaps after the snapshot.
	d := newEnsemble(t)
	for _, x := range s[:5000] {
		d.Observe(x)
	}
	odd := append([]Sample(nil), s[5000:5200]...)
	odd[3].V = math.NaN()
	odd[7].T = odd[6].T
	odd[9].T -= 3 * minute
	odd[100].V = math.Inf(1)
	for i := 150; i < len(odd); i++ {
		odd[i].T += 9 * dayMs
	}
	checkContinues(t, "nab-like with bad input", d, odd)
}

// TestEnsembleSnapshotContinuesExactlyOnNAB does the same on the real NAB
// files in the shared data set that are long enough.
func TestEnsembleSnapshotContinuesExactlyOnNAB(t *testing.T) {
	dir := testenv.SharedDir(t, filepath.Join("datasets", "nab", "data"))
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, f := range files {
		s := readNAB(t, f)
		if len(s) < 7000 {
			continue
		}
		d := newEnsemble(t)
		for _, x := range s[:5000] {
			d.Observe(x)
		}
		checkContinues(t, filepath.Base(f), d, s[5000:7000])
		tested++
	}
	if tested == 0 {
		t.Fatalf("no NAB file in %s has 7000 rows", dir)
	}
	t.Logf("%d NAB files continue exactly after a snapshot", tested)
}

// TestEnsembleSnapshotSize checks the budget of 4 KiB per univariate
// series for the encoded state.
func TestEnsembleSnapshotSize(t *testing.T) {
	const budget = 4096
	d := newEnsemble(t)
	fresh, _ := d.MarshalBinary()
	for _, x := range nabLike(5000, 3) {
		d.Observe(x)
	}
	learned, _ := d.MarshalBinary()
	t.Logf("snapshot: %d bytes before the first sample, %d after it", len(fresh), len(learned))
	if len(learned) > budget {
		t.Errorf("a snapshot takes %d bytes, over the %d-byte budget per series", len(learned), budget)
	}
}

// resum replaces the checksum at the end of b with the right one, so that
// a test can reach the checks behind it.
func resum(b []byte) []byte {
	b = bytes.Clone(b)
	n := len(b) - 4
	binary.LittleEndian.PutUint32(b[n:], snapshotCRC(b[:n]))
	return b
}

func TestEnsembleSnapshotRejectsBadData(t *testing.T) {
	d := newEnsemble(t)
	for _, x := range nabLike(500, 5) {
		d.Observe(x)
	}
	good, _ := d.MarshalBinary()
	before, _ := d.MarshalBinary()
	check := func(name string, b []byte) {
		t.Helper()
		err := d.UnmarshalBinary(b)
		if !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: error %v, want ErrSnapshot", name, err)
		}
		if after, _ := d.MarshalBinary(); !bytes.Equal(after, before) {
			t.Fatalf("%s: a failed restore changed the detector", name)
		}
	}
	for n := range len(good) {
		check("truncated to "+strconv.Itoa(n), good[:n])
	}
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		check("byte "+strconv.Itoa(i)+" flipped", b)
	}
	check("trailing byte", resum(append(bytes.Clone(good[:len(good)-4]), 0, 0, 0, 0, 0)))
	check("too long", make([]byte, snapshotMaxSize+1))

	// Fields that a checksum cannot vouch for: the encoder never writes them.
	// The alert flag is the one byte in which the snapshots of two
	// detectors that differ only in it differ.
	on := *d
	on.alert.on = !d.alert.on
	flipped, _ := on.MarshalBinary()
	offAlertOn := 0
	for offAlertOn < len(good) && good[offAlertOn] == flipped[offAlertOn] {
		offAlertOn++
	}
	b := bytes.Clone(good)
	b[offAlertOn] = 2
	check("boolean 2", resum(b))
	b = bytes.Clone(good)
	binary.LittleEndian.PutUint64(b[2:], math.Float64bits(math.NaN()))
	check("NaN rate", resum(b))
	b = bytes.Clone(good)
	binary.LittleEndian.PutUint64(b[2:], math.Float64bits(2))
	check("invalid configuration", resum(b))
	b = bytes.Clone(good)
	b[0] = 0x01
	check("another detector", resum(b))
	b = bytes.Clone(good)
	b[1] = snapshotVersion + 1
	check("another version", resum(b))
	// Version 1 had no largest errors: the engine starts such series
	// afresh.
	b = bytes.Clone(good)
	b[1] = 1
	check("version 1", resum(b))
	if err := d.UnmarshalBinary(resum(b)); err == nil || !strings.Contains(err.Error(), "version 1, this build reads version 2") {
		t.Errorf("version 1: error %v, want one that names both versions", err)
	}

	if err := d.UnmarshalBinary(good); err != nil {
		t.Fatalf("the good snapshot: %v", err)
	}
}

// FuzzEnsembleUnmarshalBinary checks that no input makes the decoder panic
// and that what it accepts encodes back to a snapshot it accepts again.
// Each input is tried as it is and with a correct checksum, so that the
// fuzzer reaches the field checks behind the checksum.
func FuzzEnsembleUnmarshalBinary(f *testing.F) {
	d, err := NewEnsemble(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	for i, x := range nabLike(300, 9) {
		if i == 0 || i == 40 || i == 299 {
			b, _ := d.MarshalBinary()
			f.Add(b)
		}
		d.Observe(x)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= 6 {
			inputs = append(inputs, resum(data))
		}
		for _, in := range inputs {
			var e Ensemble
			if err := e.UnmarshalBinary(in); err != nil {
				if !errors.Is(err, ErrSnapshot) {
					t.Fatalf("error %v does not wrap ErrSnapshot", err)
				}
				continue
			}
			b, _ := e.MarshalBinary()
			var again Ensemble
			if err := again.UnmarshalBinary(b); err != nil {
				t.Fatalf("the re-encoded snapshot is rejected: %v", err)
			}
			if b2, _ := again.MarshalBinary(); !bytes.Equal(b, b2) {
				t.Fatal("encoding is not stable")
			}
			r := e.Observe(Sample{T: e.last + minute, V: 1})
			if math.IsNaN(r.Score) || math.IsNaN(r.Probability) {
				t.Fatalf("restored detector scores NaN: %+v", r)
			}
		}
	})
}

// BenchmarkEnsembleSnapshot measures saving and restoring one learned
// series and reports the size of its snapshot.
func BenchmarkEnsembleSnapshot(b *testing.B) {
	d, err := NewEnsemble(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for _, x := range nabLike(5000, 3) {
		d.Observe(x)
	}
	var r Ensemble
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = d.AppendBinary(buf[:0])
		if err := r.UnmarshalBinary(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "bytes/series")
}
