package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Reason classifies why a notification failed.
type Reason string

// The reasons a notification can fail. Only ReasonClientError and
// ReasonInvalid are permanent: sending the same notification again would
// fail the same way.
const (
	// ReasonClientError is a 4xx response other than 408 and 429, or a
	// receiver's explicit refusal such as Slack's invalid_auth.
	ReasonClientError Reason = "client_error"
	// ReasonInvalid is a notification the notifier cannot express.
	ReasonInvalid Reason = "invalid"
	// ReasonServerError is a 5xx response or a receiver's temporary
	// failure.
	ReasonServerError Reason = "server_error"
	// ReasonRateLimited is a 429 response.
	ReasonRateLimited Reason = "rate_limited"
	// ReasonUnreachable is a timeout or a connection error.
	ReasonUnreachable Reason = "unreachable"
)

// Permanent reports whether failures for reason r must not be retried.
func (r Reason) Permanent() bool {
	return r == ReasonClientError || r == ReasonInvalid
}

// Error is a classified notification failure.
type Error struct {
	Reason Reason
	// StatusCode is the HTTP status of the response, or 0 without one.
	StatusCode int
	// RetryAfter is how long the receiver asked us to wait before trying
	// again, or 0 if it did not say.
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Classify returns err's classification: the *Error it wraps or, for an
// error that does not wrap one, a transient ReasonUnreachable. It returns
// nil for a nil error.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Reason: ReasonUnreachable, Err: err}
}

// Permanent reports whether err is classified as permanent.
func Permanent(err error) bool {
	e := Classify(err)
	return e != nil && e.Reason.Permanent()
}

// statusError classifies an HTTP response whose status is not a success.
// body is an excerpt of the response body, to help the operator.
func statusError(resp *http.Response, body string) *Error {
	e := &Error{StatusCode: resp.StatusCode}
	msg := fmt.Sprintf("unexpected status %s", resp.Status)
	if body = strings.TrimSpace(body); body != "" {
		msg += ": " + body
	}
	e.Err = errors.New(msg)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		e.Reason = ReasonRateLimited
		e.RetryAfter = retryAfter(resp.Header)
	case code == http.StatusRequestTimeout:
		e.Reason = ReasonUnreachable
	case code >= 500:
		e.Reason = ReasonServerError
		e.RetryAfter = retryAfter(resp.Header)
	default:
		e.Reason = ReasonClientError
	}
	return e
}

// transportError classifies an error from http.Client.Do. It drops the
// *url.Error wrapper, whose message holds the request URL and so may hold
// a secret.
func transportError(err error) *Error {
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil {
		err = uerr.Err
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return &Error{Reason: ReasonUnreachable, Err: fmt.Errorf("timeout: %w", err)}
	}
	return &Error{Reason: ReasonUnreachable, Err: err}
}

// maxRetryAfter caps the wait a receiver can ask for.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses the Retry-After header, in seconds or as an HTTP date,
// capped at maxRetryAfter. A date is measured from the response's own Date
// header, so that no local clock is read; without one, or when the header
// is malformed, it returns 0.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int(maxRetryAfter/time.Second))) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil || !at.After(date) {
		return 0
	}
	return min(at.Sub(date), maxRetryAfter)
}

// redactedError replaces every occurrence of a secret in an error's
// message, keeping the error chain for errors.Is and errors.As. Only its own
// message is redacted: print it, never the errors it wraps.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every non-empty secret in its message replaced by
// "<secret>". A classified error stays classified.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "<secret>")
			changed = true
		}
	}
	if !changed {
		return err
	}
	if e, ok := err.(*Error); ok {
		c := *e
		c.Err = &redactedError{msg: strings.TrimPrefix(msg, string(e.Reason)+": "), err: e.Err}
		return &c
	}
	return &redactedError{msg: msg, err: err}
}
