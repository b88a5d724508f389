package connector

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// fileSourceSettings are the settings of csv and jsonl sources.
type fileSourceSettings struct {
	Path      string         `setting:"path"`
	Columns   columnsSetting `setting:"columns"`
	BatchSize int            `setting:"batch_size"`
	InferRows int            `setting:"infer_rows"`
}

func (s *fileSourceSettings) validate(env *Env) error {
	if s.Path == "" {
		return &settingError{path: "path", err: errors.New("is required")}
	}
	s.Path = env.Path(s.Path)
	if err := nonNegative(map[string]int64{"batch_size": int64(s.BatchSize), "infer_rows": int64(s.InferRows)}); err != nil {
		return err
	}
	if s.BatchSize == 0 {
		s.BatchSize = defaultBatchSize
	}
	if s.InferRows == 0 {
		s.InferRows = defaultInferRows
	}
	return nil
}

// fileSinkSettings are the settings of csv and jsonl sinks.
type fileSinkSettings struct {
	Path string `setting:"path"`
	Mode string `setting:"mode"`
}

func (s *fileSinkSettings) validate(env *Env) (WriteMode, error) {
	if s.Path == "" {
		return "", &settingError{path: "path", err: errors.New("is required")}
	}
	s.Path = env.Path(s.Path)
	return parseMode(s.Mode, ModeAppend, ModeReplace)
}

// fileLoad writes the new version of a file into a temporary file in the
// same directory, which replaces the file in one rename on commit. Until
// then, and for good if the load aborts, the file is unchanged.
type fileLoad struct {
	path    string
	tmp     *os.File
	w       *bufio.Writer
	written int64 // Bytes written through w.
	perm    fs.FileMode
	created bool // The file did not exist.
	done    bool
}

// beginFileLoad starts a new version of the file at path, creating its
// directory if needed.
func beginFileLoad(path string) (*fileLoad, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create directory of %s: %w", path, err)
	}
	l := &fileLoad{path: path, perm: 0o644}
	switch fi, err := os.Stat(path); {
	case err == nil:
		l.perm = fi.Mode().Perm()
	case errors.Is(err, fs.ErrNotExist):
		l.created = true
	default:
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	l.tmp = tmp
	l.w = bufio.NewWriterSize(countWriter{w: tmp, n: &l.written}, 64<<10)
	return l, nil
}

// Write writes p to the new version.
func (l *fileLoad) Write(p []byte) (int, error) { return l.w.Write(p) }

// size returns the bytes written so far, buffered ones included.
func (l *fileLoad) size() int64 { return l.written + int64(l.w.Buffered()) }

// commit makes the new version durable and puts it in place of the file.
func (l *fileLoad) commit() error {
	l.done = true
	err := l.w.Flush()
	if err == nil {
		err = l.tmp.Sync()
	}
	if cerr := l.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(l.tmp.Name(), l.perm)
	}
	if err == nil {
		err = os.Rename(l.tmp.Name(), l.path)
	}
	if err != nil {
		_ = os.Remove(l.tmp.Name())
		return fmt.Errorf("write %s: %w", l.path, err)
	}
	// The rename is durable once the directory is synced. Not every system
	// can sync a directory, and the data is already safe in the file, so a
	// failure here is not reported.
	if d, err := os.Open(filepath.Dir(l.path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// abort discards the new version, unless it was committed.
func (l *fileLoad) abort() {
	if l.done {
		return
	}
	l.done = true
	_ = l.tmp.Close()
	_ = os.Remove(l.tmp.Name())
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n *int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// fileSink is the part of csv and jsonl sinks that does not depend on the
// format.
type fileSink struct {
	env  *Env
	path string
	mode WriteMode
}

// format writes one file format.
type format interface {
	// keep copies the records of the existing file r to w, except those of
	// run, and returns how many it dropped.
	keep(r io.Reader, w io.Writer, plan loadPlan, run string) (dropped int64, err error)
	// count returns the number of records in the existing file r.
	count(r io.Reader) (int64, error)
	// begin starts writing records, after any kept ones, to w.
	begin(w io.Writer, plan loadPlan, run string, empty bool) error
	// write writes the rows of a batch; record is the position of the
	// batch's first row in the load.
	write(b Batch, record int64) error
	// end flushes what the format buffers.
	end() error
}

// write runs a load: lock the path, copy what append keeps, write the
// batches, and commit only if everything succeeded.
func (s fileSink) write(ctx context.Context, f format, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error) {
	plan, err := newLoadPlan(schema, s.mode, run)
	if err != nil {
		return WriteStats{}, err
	}
	key, err := filepath.Abs(s.path) // One lock per file, however its path is spelled.
	if err != nil {
		return WriteStats{}, fmt.Errorf("resolve %s: %w", s.path, err)
	}
	unlock, err := s.env.locks.lock(ctx, key)
	if err != nil {
		return WriteStats{}, err
	}
	defer unlock()
	load, err := beginFileLoad(s.path)
	if err != nil {
		return WriteStats{}, orClass(ClassInternal, err)
	}
	defer load.abort()
	stats := WriteStats{Created: load.created}
	empty := true
	if !load.created {
		old, err := os.Open(s.path)
		if err != nil {
			return WriteStats{}, orClass(ClassInternal, fmt.Errorf("open %s: %w", s.path, err))
		}
		if s.mode == ModeAppend {
			stats.RowsDeleted, err = f.keep(bufio.NewReaderSize(old, 64<<10), load, plan, run.RunID)
			empty = load.size() == 0
		} else {
			stats.RowsDeleted, err = f.count(bufio.NewReaderSize(old, 64<<10))
		}
		_ = old.Close()
		if err != nil {
			return WriteStats{}, orClass(ClassInternal, fmt.Errorf("read %s: %w", s.path, err))
		}
	}
	if err := f.begin(load, plan, run.RunID, empty); err != nil {
		return WriteStats{}, err
	}
	start := load.size()
	err = plan.receive(ctx, batches, func(b Batch) error {
		if err := f.write(b, stats.RowsWritten+1); err != nil {
			return err
		}
		stats.RowsWritten += int64(b.Len())
		return nil
	})
	if err == nil {
		err = f.end()
	}
	if err != nil {
		return WriteStats{}, orClass(ClassInternal, err)
	}
	stats.Bytes = load.size() - start
	if err := load.commit(); err != nil {
		return WriteStats{}, orClass(ClassInternal, err)
	}
	return stats, nil
}

// lineReader reads lines of any length, numbering them from 1.
type lineReader struct {
	r    *bufio.Reader
	buf  []byte
	line int64
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its line ending, valid until the next
// call, or io.EOF after the last.
func (l *lineReader) next() ([]byte, error) {
	line, err := l.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.buf = append(l.buf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = l.r.ReadSlice('\n')
			l.buf = append(l.buf, line...)
		}
		line = l.buf
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(line) == 0 && errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	l.line++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}
