// Package suggest finds the name a person probably meant, for error
// messages that say "did you mean …?" after a typo in a config file, a
// pipeline spec or an API call.
package suggest

import (
	"fmt"
	"strings"
)

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to s,
// or "" when none is close enough to be a plausible typo.
func DidYouMean(s string, candidates []string) string {
	if c := Closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// Closest returns the candidate nearest to s, or "" when none is near. A candidate is near when its
// edit distance to s is small for s's length, or when it is s qualified by
// a namespace (warehouse.raw_orders for raw_orders). Ties go to the
// candidate first in sort order, so that suggestions are stable.
func Closest(s string, candidates []string) string {
	best, bestDist := "", 2+len(s)/4 // a candidate must come strictly closer
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(s, c)
		if strings.HasSuffix(c, "."+s) || strings.HasSuffix(c, ":"+s) {
			d = 1
		}
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the number of insertions, deletions, substitutions and transpositions of
// adjacent bytes that turn one into the other.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		// Names this long are not typos of each other; bound the work.
		if a == b {
			return 0
		}
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
