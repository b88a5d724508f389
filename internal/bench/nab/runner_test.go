package nab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigil-aiops/vigil/internal/detect"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder checks that it sees one file's rows once each, in order, and
// scores each row with its index so that the caller can check where every
// score went. It recognises its file by the first value, which is unique in
// the test corpus.
type recorder struct {
	c    *Corpus
	f    *File
	next int
	err  error
}

func (r *recorder) Observe(s detect.Sample) detect.Result {
	if r.f == nil {
		for _, f := range r.c.Files {
			if f.Values[0] == s.V {
				r.f = f
			}
		}
		if r.f == nil {
			r.err = fmt.Errorf("first sample %+v is no file's first row", s)
			return detect.Result{}
		}
	}
	if r.err == nil && (r.next >= len(r.f.Times) || s.T != r.f.Times[r.next] || s.V != r.f.Values[r.next] && !math.IsNaN(s.V)) {
		r.err = fmt.Errorf("call %d got %+v, want row %d", r.next, s, r.next)
	}
	r.next++
	return detect.Result{Score: float64(r.next-1) / float64(len(r.f.Times))}
}

func testCorpus(files int) *Corpus {
	c := &Corpus{}
	for i := range files {
		n := 50 + 10*i
		f := &File{Name: fmt.Sprintf("c/%02d.csv", i), Times: seq(n), Values: make([]float64, n), Windows: []Window{{n / 2, n/2 + 3}}}
		for j := range f.Values {
			f.Values[j] = float64(i*1000 + j)
		}
		c.Files = append(c.Files, f)
	}
	return c
}

func TestRunFeedsRowsInOrder(t *testing.T) {
	c := testCorpus(7)
	for _, workers := range []int{1, 2, 4} {
		recs := make(chan *recorder, len(c.Files))
		s, err := Run(context.Background(), c, RunOptions{
			Workers: workers,
			NewDetector: func() (detect.Detector, error) {
				r := &recorder{c: c}
				recs <- r
				return r, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		close(recs)
		seen := map[*File]bool{}
		for r := range recs {
			if r.err != nil || r.f == nil || r.next != len(r.f.Times) || seen[r.f] {
				t.Fatalf("workers %d: %v after %d rows", workers, r.err, r.next)
			}
			seen[r.f] = true
		}
		if len(seen) != len(c.Files) {
			t.Errorf("workers %d: %d files scored, want %d", workers, len(seen), len(c.Files))
		}
		if s.Rows != c.Rows() {
			t.Errorf("rows %d, want %d", s.Rows, c.Rows())
		}
		for i, f := range c.Files {
			for j, v := range s.PerFile[i] {
				if want := float64(j) / float64(len(f.Times)); v != want {
					t.Fatalf("workers %d: file %d row %d scored %v, want %v", workers, i, j, v, want)
				}
			}
		}
	}
}

// constant scores every row with the same value.
type constant float64

func (c constant) Observe(detect.Sample) detect.Result { return detect.Result{Score: float64(c)} }

func TestRunRejectsBadScores(t *testing.T) {
	for _, bad := range []float64{math.NaN(), -0.1, 1.5} {
		_, err := Run(context.Background(), testCorpus(3), RunOptions{NewDetector: func() (detect.Detector, error) { return constant(bad), nil }})
		if err == nil || !strings.Contains(err.Error(), "want a number in [0, 1]") {
			t.Errorf("score %v: got %v", bad, err)
		}
	}
}

func TestRunStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Run(context.Background(), testCorpus(5), RunOptions{Workers: 2, NewDetector: func() (detect.Detector, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Run(ctx, testCorpus(5), RunOptions{NewDetector: func() (detect.Detector, error) { return constant(0), nil }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestRunProgress(t *testing.T) {
	var b strings.Builder
	_, err := Run(context.Background(), testCorpus(3), RunOptions{Progress: &b, NewDetector: func() (detect.Detector, error) { return constant(0), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "\n"); got != 3 || !strings.Contains(b.String(), "nab: 3/3 files") {
		t.Errorf("progress:\n%s", b.String())
	}
}

func TestRunIsDeterministic(t *testing.T) {
	c := testCorpus(6)
	for i, f := range c.Files {
		for j := range f.Values {
			f.Values[j] = math.Sin(float64(j)/7) * float64(i+1)
		}
		f.Values[len(f.Values)*3/4] += 50
	}
	run := func(workers int) [][]float64 {
		s, err := Run(context.Background(), c, RunOptions{Workers: workers, NewDetector: func() (detect.Detector, error) { return detect.New(detect.NameEnsemble) }})
		if err != nil {
			t.Fatal(err)
		}
		return s.PerFile
	}
	a, b := run(1), run(3)
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("file %d row %d: %v with one worker, %v with three", i, j, a[i][j], b[i][j])
			}
		}
	}
}
