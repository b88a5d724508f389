package incident

import (
	"fmt"
	"slices"
	"time"
)

// Silence suppresses the notification of matching Signals between
// StartsAt and EndsAt, and, when Weekly is set, only within its windows:
// a maintenance window. Suppressed Signals are still kept on their
// incident, marked with the silence that suppressed them.
type Silence struct {
	ID       string    `json:"id"`
	Matchers Matchers  `json:"matchers"`
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is the end, exclusive; zero means no end.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Weekly, when not empty, limits the silence to these recurring windows.
	Weekly    []WeeklyWindow `json:"weekly,omitempty"`
	CreatedBy string         `json:"created_by"`
	Comment   string         `json:"comment"`
}

// WeeklyWindow is a window that recurs every week on the given days, from
// Start to End after midnight in Location. A window whose End is not after
// its Start runs past midnight into the next day.
type WeeklyWindow struct {
	Days  []time.Weekday `json:"days"`
	Start time.Duration  `json:"start"`
	End   time.Duration  `json:"end"`
	// Location is an IANA time zone name; empty means UTC.
	Location string `json:"location,omitempty"`

	loc *time.Location
}

// compile checks s and prepares its matchers and time zones.
func (s *Silence) compile() error {
	if s.ID == "" {
		return fmt.Errorf("silence without id: %w", ErrInvalid)
	}
	if len(s.Matchers) == 0 {
		return fmt.Errorf("silence %s has no matchers: %w", s.ID, ErrInvalid)
	}
	if err := s.Matchers.compile(); err != nil {
		return fmt.Errorf("silence %s: %w", s.ID, err)
	}
	if !s.EndsAt.IsZero() && !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("silence %s ends before it starts: %w", s.ID, ErrInvalid)
	}
	for i := range s.Weekly {
		w := &s.Weekly[i]
		if w.Start < 0 || w.Start >= 24*time.Hour || w.End < 0 || w.End > 24*time.Hour {
			return fmt.Errorf("silence %s: weekly window %d: start and end must be within a day: %w", s.ID, i, ErrInvalid)
		}
		if len(w.Days) == 0 {
			return fmt.Errorf("silence %s: weekly window %d has no days: %w", s.ID, i, ErrInvalid)
		}
		w.loc = time.UTC
		if w.Location != "" {
			loc, err := time.LoadLocation(w.Location)
			if err != nil {
				return fmt.Errorf("silence %s: weekly window %d: %w", s.ID, i, err)
			}
			w.loc = loc
		}
	}
	return nil
}

// activeAt reports whether s suppresses anything at t.
func (s *Silence) activeAt(t time.Time) bool {
	if t.Before(s.StartsAt) || (!s.EndsAt.IsZero() && !t.Before(s.EndsAt)) {
		return false
	}
	if len(s.Weekly) == 0 {
		return true
	}
	for _, w := range s.Weekly {
		if w.contains(t) {
			return true
		}
	}
	return false
}

// expired reports whether s can no longer become active after t.
func (s *Silence) expired(t time.Time) bool {
	return !s.EndsAt.IsZero() && !t.Before(s.EndsAt)
}

// contains reports whether t falls in one of w's occurrences.
func (w WeeklyWindow) contains(t time.Time) bool {
	loc := w.loc
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, mo, d := t.Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	since := t.Sub(midnight)
	if w.End > w.Start {
		return slices.Contains(w.Days, t.Weekday()) && since >= w.Start && since < w.End
	}
	// The window runs past midnight: it holds late today when it started
	// today, and early today when it started yesterday.
	if slices.Contains(w.Days, t.Weekday()) && since >= w.Start {
		return true
	}
	yesterday := (t.Weekday() + 6) % 7
	return slices.Contains(w.Days, yesterday) && since < w.End
}

// silencedBy returns the ID of the first silence, in ID order, that
// suppresses labels at t, or "".
func silencedBy(silences []*Silence, labels map[string]string, t time.Time) string {
	for _, s := range silences {
		if s.activeAt(t) && s.Matchers.matches(labels) {
			return s.ID
		}
	}
	return ""
}
