package nab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// The application profiles NAB defines; every profiles file must have them.
const (
	ProfileStandard = "standard"
	ProfileLowFP    = "reward_low_FP_rate"
	ProfileLowFN    = "reward_low_FN_rate"
)

// ProfileNames lists the three NAB profiles in the order reports use.
var ProfileNames = [...]string{ProfileStandard, ProfileLowFP, ProfileLowFN}

// CostMatrix weighs detections for one application profile.
type CostMatrix struct {
	// TP is the reward A_TP for a window detected at its very start.
	TP float64 `json:"tpWeight"`
	// FP is the penalty A_FP of a detection far from any window.
	FP float64 `json:"fpWeight"`
	// FN is the penalty A_FN of a window without detection.
	FN float64 `json:"fnWeight"`
	// TN is read for completeness; NAB's scorer does not use it.
	TN float64 `json:"tnWeight"`
}

// ParseProfiles reads NAB's profiles.json: an object mapping a profile name
// to {"CostMatrix": {"tpWeight", "fpWeight", "fnWeight", "tnWeight"}}. The
// three NAB profiles must be present, with finite, non-negative weights and
// a positive tpWeight.
func ParseProfiles(r io.Reader) (map[string]CostMatrix, error) {
	var raw map[string]struct {
		CostMatrix *struct {
			TP *float64 `json:"tpWeight"`
			FP *float64 `json:"fpWeight"`
			FN *float64 `json:"fnWeight"`
			TN *float64 `json:"tnWeight"`
		} `json:"CostMatrix"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("want an object of profile name to {\"CostMatrix\": {...}}: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the profiles object")
	}
	out := make(map[string]CostMatrix, len(raw))
	for name, p := range raw {
		if p.CostMatrix == nil {
			return nil, fmt.Errorf("profile %q: no CostMatrix", name)
		}
		cm := p.CostMatrix
		weights := []struct {
			key string
			v   *float64
		}{{"tpWeight", cm.TP}, {"fpWeight", cm.FP}, {"fnWeight", cm.FN}}
		for _, w := range weights {
			if w.v == nil {
				return nil, fmt.Errorf("profile %q: CostMatrix has no %s", name, w.key)
			}
			if math.IsNaN(*w.v) || math.IsInf(*w.v, 0) || *w.v < 0 {
				return nil, fmt.Errorf("profile %q: %s is %v, want a finite non-negative number", name, w.key, *w.v)
			}
		}
		if *cm.TP == 0 {
			return nil, fmt.Errorf("profile %q: tpWeight is 0, want a positive number", name)
		}
		c := CostMatrix{TP: *cm.TP, FP: *cm.FP, FN: *cm.FN}
		if cm.TN != nil {
			c.TN = *cm.TN
		}
		out[name] = c
	}
	for _, name := range ProfileNames {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("profile %q is missing", name)
		}
	}
	return out, nil
}
