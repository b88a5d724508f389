package connector

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Class says what kind of failure an error is, so the task runner can decide
// whether to retry it: a task's retries.transient lists the classes worth
// retrying.
type Class string

// The error classes.
const (
	ClassTimeout     Class = "timeout"      // A deadline passed.
	ClassConnection  Class = "connection"   // A network peer could not be reached or hung up.
	ClassHTTP4xx     Class = "http_4xx"     // An HTTP server rejected the request.
	ClassHTTP5xx     Class = "http_5xx"     // An HTTP server failed.
	ClassRateLimited Class = "rate_limited" // A server asked the client to slow down.
	ClassLocked      Class = "locked"       // A lock, deadlock or serialization conflict.
	ClassSinkFull    Class = "sink_full"    // The target is out of space.
	ClassSchema      Class = "schema"       // Columns or tables do not match.
	ClassData        Class = "data"         // A value or row is malformed or violates a constraint.
	ClassConfig      Class = "config"       // Settings are wrong: a bad path, URL, query or credential.
	ClassInternal    Class = "internal"     // Anything else.
)

// classes lists every class in the order error messages show them.
var classes = [...]Class{
	ClassTimeout, ClassConnection, ClassHTTP4xx, ClassHTTP5xx, ClassRateLimited,
	ClassLocked, ClassSinkFull, ClassSchema, ClassData, ClassConfig, ClassInternal,
}

// Classes returns every error class.
func Classes() []Class { return append([]Class(nil), classes[:]...) }

// ParseClass returns the class named s.
func ParseClass(s string) (Class, error) {
	for _, c := range classes {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown error class %q (want one of %v)", s, classes)
}

// ClassError is an error with a class. Connectors wrap the errors they return
// in it, so callers need not know each backend's error types.
type ClassError struct {
	Class Class
	Err   error
	// RetryAfter, when positive, is how long the failing system asked the
	// client to wait before trying again (an HTTP Retry-After).
	RetryAfter time.Duration
}

// Error returns the wrapped error's message.
func (e *ClassError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ClassError) Unwrap() error { return e.Err }

// Errorf formats an error of class c, as fmt.Errorf does.
func Errorf(c Class, format string, args ...any) error {
	return &ClassError{Class: c, Err: fmt.Errorf(format, args...)}
}

// WithClass wraps err in a ClassError of class c. It returns nil for nil.
func WithClass(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &ClassError{Class: c, Err: err}
}

// orClass returns err unchanged if Classify already finds a specific class
// in it, and wraps it in class c otherwise. It returns nil for nil.
func orClass(c Class, err error) error {
	if err == nil {
		return nil
	}
	if Classify(err) != ClassInternal {
		return err
	}
	return WithClass(c, err)
}

// Classify returns the class of err: the class of the outermost ClassError
// in its chain, else a class derived from well-known causes (deadlines,
// network errors, full disks, missing files), else ClassInternal. It returns
// "" for nil.
func Classify(err error) Class {
	if err == nil {
		return ""
	}
	var ce *ClassError
	if errors.As(err, &ce) {
		return ce.Class
	}
	var re *RowError
	if errors.As(err, &re) {
		return ClassData
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return ClassSinkFull
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassConnection
	case isNetError(err):
		return ClassConnection
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return ClassConfig
	}
	return ClassInternal
}

// isNetError reports whether err comes from dialing or talking to a peer.
func isNetError(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &opErr) || errors.As(err, &dnsErr)
}

// RetryAfter returns the wait a failing system asked for, if any error in
// err's chain carries one.
func RetryAfter(err error) (time.Duration, bool) {
	for err != nil {
		var ce *ClassError
		if !errors.As(err, &ce) {
			return 0, false
		}
		if ce.RetryAfter > 0 {
			return ce.RetryAfter, true
		}
		err = ce.Err
	}
	return 0, false
}

// RowError is a row a source could not decode, or a value a sink could not
// store. Its class is ClassData. A source reading with ReadOptions.OnRowError
// reports it there and goes on with the next row.
type RowError struct {
	Source string // The file, URL or table the row came from.
	Line   int64  // The 1-based line of the row in a text file; 0 for other sources.
	Record int64  // The 1-based position of the row among the source's records.
	Column string // The column at fault, or "" when the row as a whole is.
	Raw    string // The row as read, for dead-lettering; "" when not kept.
	Err    error
}

// Error names the source, the line or record, and the column.
func (e *RowError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, e.Source...)
	if e.Line > 0 {
		b = append(b, " line "...)
		b = strconv.AppendInt(b, e.Line, 10)
	} else {
		b = append(b, " record "...)
		b = strconv.AppendInt(b, e.Record, 10)
	}
	if e.Column != "" {
		b = append(b, ", column "...)
		b = strconv.AppendQuote(b, e.Column)
	}
	b = append(b, ": "...)
	b = append(b, e.Err.Error()...)
	return string(b)
}

// Unwrap returns the cause.
func (e *RowError) Unwrap() error { return e.Err }
