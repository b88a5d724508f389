//go:build !linux

package m4

import "time"

// threadCPU reports false: per-thread CPU time is measured on Linux only, and
// elsewhere the benchmark reports wall time alone.
func threadCPU() (time.Duration, bool) { return 0, false }
