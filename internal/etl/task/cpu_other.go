//go:build !linux

package task

import "time"

// threadCPU is not measurable here; attempts report zero CPU time.
func threadCPU() time.Duration { return 0 }
