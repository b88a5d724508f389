package iforest

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// AUC returns the area under the ROC curve of scores against labels (true
// for an anomaly): the probability that a random anomaly scores higher than
// a random normal row, ties counting one half. It is the Mann-Whitney U
// statistic of the anomalies' ranks, with tied scores given their average
// rank.
func AUC(scores []float64, labels []bool) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("auc: %d scores, %d labels", len(scores), len(labels))
	}
	order := make([]int, len(scores))
	for i := range order {
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("auc: score %d is NaN", i)
		}
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	var pos, neg int
	var rankSum float64 // Sum of the anomalies' ranks, counted from 1.
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		// Ranks i+1 … j share their average.
		avg := float64(i+1+j) / 2
		for _, k := range order[i:j] {
			if labels[k] {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, errors.New("auc: the labels must include both anomalies and normal rows")
	}
	p, n := float64(pos), float64(neg)
	return (rankSum - p*(p+1)/2) / (p * n), nil
}
