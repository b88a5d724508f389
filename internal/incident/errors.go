package incident

import "errors"

// Errors that callers test for.
var (
	// ErrInvalid marks input that cannot be accepted: a bad Signal,
	// matcher, silence or configuration.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound marks a reference to an incident or silence that the
	// Manager does not hold.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a lifecycle change that the incident's status does
	// not allow, such as acknowledging a resolved incident.
	ErrConflict = errors.New("conflict")
)
