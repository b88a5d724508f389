package nab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Limits are the first and the last timestamp of a labelled anomaly window,
// both inclusive, in milliseconds since the Unix epoch.
type Limits struct {
	Start, End int64
}

// ParseLabels reads NAB's combined_windows.json: an object mapping each data
// file ("category/file.csv") to a list of [start, end] timestamp pairs. A file
// may have no windows. Windows are returned sorted by start; an inverted or
// overlapping window is an error.
func ParseLabels(r io.Reader) (map[string][]Limits, error) {
	var raw map[string][][]string
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("want an object of file name to [[start, end], ...]: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the labels object")
	}
	if raw == nil {
		return nil, errors.New("want an object of file name to [[start, end], ...], got null")
	}
	out := make(map[string][]Limits, len(raw))
	for name, pairs := range raw {
		if name == "" {
			return nil, errors.New("empty file name")
		}
		ws := make([]Limits, 0, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("%s: window %d has %d timestamps, want 2", name, i, len(p))
			}
			start, err := ParseTime(p[0])
			if err != nil {
				return nil, fmt.Errorf("%s: window %d start: %w", name, i, err)
			}
			end, err := ParseTime(p[1])
			if err != nil {
				return nil, fmt.Errorf("%s: window %d end: %w", name, i, err)
			}
			if end < start {
				return nil, fmt.Errorf("%s: window %d ends (%s) before it starts (%s)", name, i, p[1], p[0])
			}
			ws = append(ws, Limits{Start: start, End: end})
		}
		sort.Slice(ws, func(i, j int) bool { return ws[i].Start < ws[j].Start })
		for i := 1; i < len(ws); i++ {
			if ws[i].Start <= ws[i-1].End {
				return nil, fmt.Errorf("%s: windows %d and %d overlap", name, i-1, i)
			}
		}
		out[name] = ws
	}
	return out, nil
}
