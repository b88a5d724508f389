package etl

import (
	"errors"
	"fmt"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
)

// Errors callers test for.
var (
	// ErrUnknownPipeline is returned for a pipeline not in the fleet.
	ErrUnknownPipeline = errors.New("unknown pipeline")
	// ErrUnknownRun is returned for a run that does not exist.
	ErrUnknownRun = errors.New("unknown run")
	// ErrRunExists is returned when triggering a run whose ID exists.
	ErrRunExists = errors.New("run exists")
	// ErrRunActive is returned when retrying a run that has not ended.
	ErrRunActive = errors.New("run has not ended")
	// ErrRunEnded is returned when cancelling a run that has ended.
	ErrRunEnded = errors.New("run has ended")
	// ErrInvalid is returned for invalid arguments, such as an empty actor.
	ErrInvalid = errors.New("invalid argument")

	// ErrStaleAttempt is returned for a report of an attempt that is not
	// the agent's current one: superseded, cancelled, or never handed out.
	ErrStaleAttempt = fmt.Errorf("%w: stale attempt", agent.ErrRejected)
	// ErrLeaseLost is returned for a report that comes after the lease
	// lapsed; the task runs again as a new attempt.
	ErrLeaseLost = fmt.Errorf("%w: lease lost", agent.ErrRejected)
)
