package spec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when a pipeline runs. Exactly one field is set.
type Schedule struct {
	// Cron is a five-field cron expression (minute hour day-of-month month
	// day-of-week) or a descriptor such as @hourly or @daily, always in UTC.
	Cron string `yaml:"cron,omitempty"`
	// Interval runs the pipeline every so often, in slots aligned to the
	// Unix epoch: a 15m interval runs at :00, :15, :30 and :45, a 1d
	// interval at midnight UTC. It is a whole number of seconds.
	Interval Duration `yaml:"interval,omitempty"`
	// After runs the pipeline when every node listed (pipeline:<name> or
	// dataset:<name>) has new data since its last run. Such a schedule has
	// no clock slots: the controller triggers it.
	After []NodeID `yaml:"after,omitempty"`
}

// ScheduleKind is the kind of a schedule.
type ScheduleKind string

// The schedule kinds.
const (
	ScheduleCron     ScheduleKind = "cron"
	ScheduleInterval ScheduleKind = "interval"
	ScheduleAfter    ScheduleKind = "after"
)

// ErrTooManySlots is returned by Slots when a range holds more slots than
// the caller allows.
var ErrTooManySlots = errors.New("too many schedule slots")

// Kind returns the kind of s, or "" unless exactly one field is set.
func (s Schedule) Kind() ScheduleKind {
	var kinds []ScheduleKind
	if s.Cron != "" {
		kinds = append(kinds, ScheduleCron)
	}
	if s.Interval != 0 {
		kinds = append(kinds, ScheduleInterval)
	}
	if s.After != nil {
		kinds = append(kinds, ScheduleAfter)
	}
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// Upstream returns what an after: schedule waits for, and nil for the
// other kinds.
func (s Schedule) Upstream() []NodeID {
	if s.Kind() != ScheduleAfter {
		return nil
	}
	return append([]NodeID(nil), s.After...)
}

// String describes s for logs: "cron 0 * * * *", "every 15m" or
// "after pipeline:a, dataset:b.c".
func (s Schedule) String() string {
	switch s.Kind() {
	case ScheduleCron:
		return "cron " + s.Cron
	case ScheduleInterval:
		return "every " + s.Interval.String()
	case ScheduleAfter:
		parts := make([]string, len(s.After))
		for i, a := range s.After {
			parts[i] = string(a)
		}
		return "after " + strings.Join(parts, ", ")
	}
	return "invalid schedule"
}

// Next returns the first slot of s strictly after t, in UTC. It returns the
// zero time for an after: schedule, for an invalid schedule (a validated one
// never is), and for a cron expression with no slot in the five years after
// t (such as 29 February around 2100).
func (s Schedule) Next(t time.Time) time.Time {
	c, err := s.clock()
	if err != nil || c == nil {
		return time.Time{}
	}
	return c.next(t)
}

// Slots returns the slots of s in (from, to], oldest first: the slots that
// fell due between a run scheduled at from and the time to. It refuses,
// with ErrTooManySlots, to return more than limit of them, so that a long
// outage or a typo in a catch-up cannot enumerate millions of runs. An
// after: schedule has no slots.
func (s Schedule) Slots(from, to time.Time, limit int) ([]time.Time, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("slots of %s: limit %d is not positive", s, limit)
	}
	c, err := s.clock()
	if err != nil {
		return nil, fmt.Errorf("slots of %s: %w", s, err)
	}
	if c == nil || !to.After(from) {
		return nil, nil
	}
	if n, ok := c.count(from, to); ok && n > int64(limit) {
		return nil, fmt.Errorf("slots of %s between %s and %s: %w: %d, more than the limit %d",
			s, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), ErrTooManySlots, n, limit)
	}
	var out []time.Time
	for t := c.next(from); !t.IsZero() && !t.After(to); t = c.next(t) {
		if len(out) == limit {
			return nil, fmt.Errorf("slots of %s between %s and %s: %w: more than the limit %d",
				s, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), ErrTooManySlots, limit)
		}
		out = append(out, t)
	}
	return out, nil
}

// clock is a schedule with slots on the clock.
type clock interface {
	// next returns the first slot strictly after t, in UTC, or the zero
	// time if there is none.
	next(t time.Time) time.Time
	// count returns the number of slots in (from, to] if it can tell
	// without enumerating them.
	count(from, to time.Time) (int64, bool)
}

// clock returns the clock of s, nil for an after: schedule, or an error
// when s is invalid.
func (s Schedule) clock() (clock, error) {
	switch s.Kind() {
	case ScheduleCron:
		c, err := parseCron(s.Cron)
		if err != nil {
			return nil, err
		}
		return cronClock{c}, nil
	case ScheduleInterval:
		c, err := newIntervalClock(s.Interval)
		if err != nil {
			return nil, err
		}
		return c, nil
	case ScheduleAfter:
		return nil, nil
	}
	return nil, fmt.Errorf("exactly one of cron, interval or after must be set")
}

// cronClock is a parsed cron expression, evaluated in UTC.
type cronClock struct{ s cron.Schedule }

func (c cronClock) next(t time.Time) time.Time { return c.s.Next(t.UTC()).UTC() }

func (cronClock) count(time.Time, time.Time) (int64, bool) { return 0, false }

// parseCron parses a five-field cron expression or a descriptor.
func parseCron(expr string) (cron.Schedule, error) {
	switch {
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return nil, fmt.Errorf("cron %q: time zones are not supported; cron runs in UTC", expr)
	case strings.HasPrefix(expr, "@every"):
		return nil, fmt.Errorf("cron %q: use interval: instead of @every", expr)
	}
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s, err := p.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	// A day that never comes, such as 31 April, makes an expression that
	// parses but never fires. Every day that exists comes within five
	// years of 1970, the cron library's search horizon.
	if s.Next(time.Unix(0, 0).UTC()).IsZero() {
		return nil, fmt.Errorf("cron %q: never fires", expr)
	}
	return s, nil
}

// intervalClock has a slot at every whole multiple of its period since the
// Unix epoch.
type intervalClock struct{ sec int64 }

func newIntervalClock(d Duration) (intervalClock, error) {
	if d < Duration(time.Second) || d%Duration(time.Second) != 0 {
		return intervalClock{}, fmt.Errorf("interval %s: must be a whole number of seconds, at least 1s", d)
	}
	return intervalClock{sec: int64(d / Duration(time.Second))}, nil
}

func (c intervalClock) next(t time.Time) time.Time {
	// Slots fall on whole seconds, so the fraction of t's second cannot
	// move it past one: the slot at or before t is the one at or before
	// its whole second.
	k := floorDiv(t.Unix(), c.sec)
	return time.Unix((k+1)*c.sec, 0).UTC()
}

func (c intervalClock) count(from, to time.Time) (int64, bool) {
	return floorDiv(to.Unix(), c.sec) - floorDiv(from.Unix(), c.sec), true
}

// floorDiv divides rounding towards negative infinity, so that slots
// before 1970 are aligned as those after.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
