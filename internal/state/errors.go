package state

import "errors"

// ErrNotFound is returned when the requested key or item does not exist.
var ErrNotFound = errors.New("not found")

// errInvalid marks errors caused by invalid arguments, which are the caller's
// mistake and not a failure of the store.
var errInvalid = errors.New("invalid argument")
