package nab

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// timeLayout is how NAB writes timestamps, in UTC; a fractional second, as
// in the label files, is accepted when parsing.
const timeLayout = "2006-01-02 15:04:05"

// ParseTime parses a NAB timestamp ("2014-04-01 00:05:00", optionally with a
// fractional second) as UTC and returns it in milliseconds since the Unix
// epoch.
func ParseTime(s string) (int64, error) {
	t, err := time.Parse(timeLayout, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("bad timestamp %q: want YYYY-MM-DD hh:mm:ss", s)
	}
	return t.UnixMilli(), nil
}

// ParseCSV reads a NAB data file: a header "timestamp,value" and then one row
// per time step. Values are floating-point numbers; NaN and ±Inf are kept
// for the detector to deal with. Timestamps need not be ordered or unique;
// the labels decide whether the file can be scored. The error names the line
// of the first bad row.
func ParseCSV(r io.Reader) (times []int64, values []float64, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("empty file: want a header timestamp,value")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	if len(header) != 2 || strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")) != "timestamp" || strings.TrimSpace(header[1]) != "value" {
		return nil, nil, fmt.Errorf("line 1: header is %q, want \"timestamp,value\"", strings.Join(header, ","))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err // csv.ParseError names the line.
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, nil, fmt.Errorf("line %d: %d fields, want 2 (timestamp,value)", line, len(rec))
		}
		t, err := ParseTime(rec[0])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: bad value %q: not a number", line, rec[1])
		}
		times = append(times, t)
		values = append(values, v)
	}
	if len(times) == 0 {
		return nil, nil, errors.New("no rows after the header")
	}
	return times, values, nil
}

// formatTime writes a timestamp the way NAB does.
func formatTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(timeLayout)
}
