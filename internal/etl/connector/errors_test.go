package connector

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	f := func(err error, want Class) {
		t.Helper()
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %q, want %q", err, got, want)
		}
	}
	f(nil, "")
	f(errors.New("boom"), ClassInternal)
	f(Errorf(ClassSchema, "x"), ClassSchema)
	f(fmt.Errorf("outer: %w", Errorf(ClassLocked, "x")), ClassLocked)
	f(WithClass(ClassConfig, Errorf(ClassLocked, "x")), ClassConfig)
	f(fmt.Errorf("read: %w", &RowError{Err: errors.New("bad")}), ClassData)
	f(fmt.Errorf("x: %w", context.DeadlineExceeded), ClassTimeout)
	f(context.Canceled, ClassInternal)
	f(&os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, ClassSinkFull)
	f(&os.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, ClassConfig)
	f(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ClassConnection)
	f(&net.DNSError{Err: "no such host", Name: "x"}, ClassConnection)
	f(&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, ClassTimeout)
	if got := WithClass(ClassData, nil); got != nil {
		t.Errorf("WithClass(nil) = %v", got)
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range Classes() {
		if got, err := ParseClass(string(c)); err != nil || got != c {
			t.Errorf("ParseClass(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseClass("flaky"); err == nil {
		t.Error("ParseClass(flaky) = nil error")
	}
}

func TestRetryAfter(t *testing.T) {
	err := fmt.Errorf("get: %w", &ClassError{Class: ClassRateLimited, Err: errors.New("429"), RetryAfter: 3 * time.Second})
	if d, ok := RetryAfter(err); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter = %v, %v; want 3s", d, ok)
	}
	if _, ok := RetryAfter(Errorf(ClassHTTP5xx, "x")); ok {
		t.Error("RetryAfter without one reported one")
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-1":                            0,
		"Mon, 01 Jan 2024 00:01:00 GMT": time.Minute,
		"Mon, 01 Jan 2023 00:01:00 GMT": 0,
		"soon":                          0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRowErrorMessage(t *testing.T) {
	e := &RowError{Source: "orders.csv", Line: 12, Record: 11, Column: "amount", Err: errors.New(`"x" is not a float`)}
	if got, want := e.Error(), `orders.csv line 12, column "amount": "x" is not a float`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &RowError{Source: "https://api/x", Record: 3, Err: errors.New("bad")}
	if got, want := e.Error(), "https://api/x record 3: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
