package spec

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// at parses an RFC 3339 time for tests.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleNext(t *testing.T) {
	f := func(s Schedule, after, want string) {
		t.Helper()
		got := s.Next(at(t, after))
		if want == "" {
			if !got.IsZero() {
				t.Fatalf("%s: Next(%s) = %s, want none", s, after, got)
			}
			return
		}
		if !got.Equal(at(t, want)) || got.Location() != time.UTC {
			t.Fatalf("%s: Next(%s) = %s, want %s in UTC", s, after, got, want)
		}
	}
	hourly := Schedule{Cron: "0 * * * *"}
	f(hourly, "2024-03-10T10:00:00Z", "2024-03-10T11:00:00Z") // strictly after
	f(hourly, "2024-03-10T10:59:59.999Z", "2024-03-10T11:00:00Z")
	f(hourly, "2024-03-10T23:30:00Z", "2024-03-11T00:00:00Z")
	// Cron is UTC whatever the zone of the time given.
	f(hourly, "2024-03-10T10:30:00+05:30", "2024-03-10T06:00:00Z")
	f(Schedule{Cron: "*/15 9-17 * * 1-5"}, "2024-03-08T17:50:00Z", "2024-03-11T09:00:00Z") // Friday to Monday
	f(Schedule{Cron: "30 6 1 * *"}, "2024-01-31T12:00:00Z", "2024-02-01T06:30:00Z")
	f(Schedule{Cron: "0 0 29 2 *"}, "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z")
	f(Schedule{Cron: "@hourly"}, "2024-03-10T10:15:00Z", "2024-03-10T11:00:00Z")
	f(Schedule{Cron: "@daily"}, "2024-03-10T10:15:00Z", "2024-03-11T00:00:00Z")
	f(Schedule{Cron: "@weekly"}, "2024-03-10T10:15:00Z", "2024-03-17T00:00:00Z") // Sundays
	f(Schedule{Cron: "@monthly"}, "2024-03-10T10:15:00Z", "2024-04-01T00:00:00Z")

	quarter := Schedule{Interval: Duration(15 * time.Minute)}
	f(quarter, "2024-03-10T10:00:00Z", "2024-03-10T10:15:00Z")
	f(quarter, "2024-03-10T10:07:31.5Z", "2024-03-10T10:15:00Z")
	f(quarter, "2024-03-10T10:14:59.999999999Z", "2024-03-10T10:15:00Z")
	f(quarter, "2024-03-10T16:07:00+05:00", "2024-03-10T11:15:00Z")
	f(quarter, "1969-12-31T23:50:00Z", "1970-01-01T00:00:00Z") // aligned before the epoch too
	f(Schedule{Interval: Duration(24 * time.Hour)}, "2024-03-10T10:00:00Z", "2024-03-11T00:00:00Z")
	// A week is aligned to the epoch, a Thursday.
	f(Schedule{Interval: Duration(7 * 24 * time.Hour)}, "2024-03-10T10:00:00Z", "2024-03-14T00:00:00Z")
	f(Schedule{Interval: Duration(7 * time.Second)}, "1970-01-01T00:00:20Z", "1970-01-01T00:00:21Z")

	f(Schedule{After: []NodeID{"pipeline:a"}}, "2024-03-10T10:00:00Z", "")
	f(Schedule{}, "2024-03-10T10:00:00Z", "")
	f(Schedule{Cron: "bad"}, "2024-03-10T10:00:00Z", "")
	f(Schedule{Interval: Duration(1500 * time.Millisecond)}, "2024-03-10T10:00:00Z", "")
}

func TestScheduleSlots(t *testing.T) {
	f := func(s Schedule, from, to string, limit int, want ...string) {
		t.Helper()
		got, err := s.Slots(at(t, from), at(t, to), limit)
		if err != nil {
			t.Fatalf("%s: Slots(%s, %s, %d): %v", s, from, to, limit, err)
		}
		var gotS []string
		for _, g := range got {
			gotS = append(gotS, g.Format(time.RFC3339))
		}
		if !slices.Equal(gotS, want) {
			t.Fatalf("%s: Slots(%s, %s, %d) = %v, want %v", s, from, to, limit, gotS, want)
		}
	}
	hourly := Schedule{Cron: "0 * * * *"}
	// (from, to]: a run at from is done; one exactly at to is due.
	f(hourly, "2024-03-10T10:00:00Z", "2024-03-10T13:00:00Z", 10,
		"2024-03-10T11:00:00Z", "2024-03-10T12:00:00Z", "2024-03-10T13:00:00Z")
	f(hourly, "2024-03-10T10:30:00Z", "2024-03-10T12:59:59Z", 10,
		"2024-03-10T11:00:00Z", "2024-03-10T12:00:00Z")
	f(hourly, "2024-03-10T10:00:00Z", "2024-03-10T10:59:00Z", 10)
	f(hourly, "2024-03-10T10:00:00Z", "2024-03-10T09:00:00Z", 10)
	f(hourly, "2024-03-10T10:00:00Z", "2024-03-10T12:00:00Z", 2, "2024-03-10T11:00:00Z", "2024-03-10T12:00:00Z")
	interval := Schedule{Interval: Duration(30 * time.Minute)}
	f(interval, "2024-03-10T10:00:00Z", "2024-03-10T11:30:00Z", 3,
		"2024-03-10T10:30:00Z", "2024-03-10T11:00:00Z", "2024-03-10T11:30:00Z")
	f(interval, "2024-03-10T10:10:00Z", "2024-03-10T10:20:00Z", 3)
	f(Schedule{After: []NodeID{"pipeline:a"}}, "2024-03-10T10:00:00Z", "2024-03-11T10:00:00Z", 3)
}

func TestScheduleSlotsErrors(t *testing.T) {
	f := func(s Schedule, from, to string, limit int, want string, tooMany bool) {
		t.Helper()
		got, err := s.Slots(at(t, from), at(t, to), limit)
		if err == nil || err.Error() != want || got != nil {
			t.Fatalf("%s: Slots = %v, %v; want error %q", s, got, err, want)
		}
		if errors.Is(err, ErrTooManySlots) != tooMany {
			t.Fatalf("errors.Is(%v, ErrTooManySlots) = %v", err, !tooMany)
		}
	}
	// A year of minutes is refused without being enumerated.
	f(Schedule{Interval: Duration(time.Minute)}, "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1000,
		"slots of every 1m between 2023-01-01T00:00:00Z and 2024-01-01T00:00:00Z: too many schedule slots: 525600, more than the limit 1000", true)
	f(Schedule{Cron: "* * * * *"}, "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1000,
		"slots of cron * * * * * between 2023-01-01T00:00:00Z and 2024-01-01T00:00:00Z: too many schedule slots: more than the limit 1000", true)
	f(Schedule{Cron: "0 * * * *"}, "2024-03-10T10:00:00Z", "2024-03-10T13:00:00Z", 2,
		"slots of cron 0 * * * * between 2024-03-10T10:00:00Z and 2024-03-10T13:00:00Z: too many schedule slots: more than the limit 2", true)
	f(Schedule{Cron: "0 * * * *"}, "2024-03-10T10:00:00Z", "2024-03-10T13:00:00Z", 0,
		"slots of cron 0 * * * *: limit 0 is not positive", false)
	f(Schedule{Cron: "0 * * *"}, "2024-03-10T10:00:00Z", "2024-03-10T13:00:00Z", 5,
		"slots of cron 0 * * *: cron \"0 * * *\": expected exactly 5 fields, found 4: [0 * * *]", false)
	f(Schedule{}, "2024-03-10T10:00:00Z", "2024-03-10T13:00:00Z", 5,
		"slots of invalid schedule: exactly one of cron, interval or after must be set", false)
}

func TestScheduleKind(t *testing.T) {
	f := func(s Schedule, kind ScheduleKind, str string, upstream ...NodeID) {
		t.Helper()
		if s.Kind() != kind || s.String() != str || !slices.Equal(s.Upstream(), upstream) {
			t.Fatalf("%#v: Kind, String, Upstream = %q, %q, %v; want %q, %q, %v",
				s, s.Kind(), s.String(), s.Upstream(), kind, str, upstream)
		}
	}
	f(Schedule{Cron: "@daily"}, ScheduleCron, "cron @daily")
	f(Schedule{Interval: Duration(90 * time.Minute)}, ScheduleInterval, "every 1h30m")
	f(Schedule{After: []NodeID{"pipeline:a", "dataset:w.b"}}, ScheduleAfter, "after pipeline:a, dataset:w.b", "pipeline:a", "dataset:w.b")
	f(Schedule{}, "", "invalid schedule")
	f(Schedule{Cron: "@daily", Interval: Duration(time.Hour)}, "", "invalid schedule")
}

func TestParseCronErrors(t *testing.T) {
	f := func(expr, want string) {
		t.Helper()
		_, err := parseCron(expr)
		if err == nil || err.Error() != want {
			t.Fatalf("parseCron(%q) error = %v, want %q", expr, err, want)
		}
	}
	f("0 0 * * * *", `cron "0 0 * * * *": expected exactly 5 fields, found 6: [0 0 * * * *]`)
	f("60 * * * *", `cron "60 * * * *": end of range (60) above maximum (59): 60`)
	f("TZ=Europe/Paris 0 * * * *", `cron "TZ=Europe/Paris 0 * * * *": time zones are not supported; cron runs in UTC`)
	f("CRON_TZ=UTC", `cron "CRON_TZ=UTC": time zones are not supported; cron runs in UTC`)
	f("@every 5m", `cron "@every 5m": use interval: instead of @every`)
	f("@fortnightly", `cron "@fortnightly": unrecognized descriptor: @fortnightly`)
	f("0 0 31 4 *", `cron "0 0 31 4 *": never fires`)
}
