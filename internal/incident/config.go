package incident

import (
	"fmt"
	"time"
)

// Config tunes a Manager. Zero fields take the defaults of DefaultConfig.
// Its JSON form writes durations in nanoseconds, as encoding/json does;
// the YAML configuration is the caller's to map onto it.
type Config struct {
	// GroupBy lists the labels whose values put alerts in one incident.
	// Alerts with none of them group by their node, or else their subject.
	GroupBy []string `json:"group_by"`
	// GroupWindow is how long after an incident's last Signal an alert of
	// the same group still joins it.
	GroupWindow time.Duration `json:"group_window"`
	// CorrelationWindow is how long after an incident's last Signal an
	// alert on a node downstream (or upstream) of one of its nodes still
	// joins it.
	CorrelationWindow time.Duration `json:"correlation_window"`
	// MinDuration is how long an alert must fire before its incident is
	// notified.
	MinDuration time.Duration `json:"min_duration"`
	// ResolveTimeout is how long a firing alert may go without a repeat
	// before it counts as cleared, for sources that never send a clear.
	ResolveTimeout time.Duration `json:"resolve_timeout"`
	// ResolveAfter is how long every alert of an incident must have been
	// cleared before it resolves itself.
	ResolveAfter time.Duration `json:"resolve_after"`
	// FlapThreshold is how many clears of one alert within FlapWindow make
	// its incident flapping. The incident stops flapping when fewer than
	// half as many clears remain within the window (hysteresis).
	FlapThreshold int           `json:"flap_threshold"`
	FlapWindow    time.Duration `json:"flap_window"`
	// MaxAlertsPerIncident caps the alerts an incident stores; further
	// fingerprints are counted in its Overflow.
	MaxAlertsPerIncident int `json:"max_alerts_per_incident"`
	// MaxOpenIncidents caps the incidents open at once; beyond it, new
	// groups go to one overflow incident.
	MaxOpenIncidents int `json:"max_open_incidents"`
	// MaxResolved caps the resolved incidents kept for acknowledgement of
	// feedback; the oldest are forgotten first, the caller having
	// persisted them.
	MaxResolved int `json:"max_resolved"`
	// MaxEvidence caps the bytes of evidence kept per alert.
	MaxEvidence int `json:"max_evidence"`
	// EvidenceOnly lists the kinds of Signal that join an incident their
	// group or lineage already has, as evidence, but never open one: a
	// drift (a lasting change of a series' level) explains trouble when
	// there is some, and is not trouble by itself.
	EvidenceOnly []Kind `json:"evidence_only,omitempty"`
	// Inhibit lists the inhibition rules.
	Inhibit []InhibitRule `json:"inhibit,omitempty"`
	// Severity tunes the severity formula.
	Severity SeverityConfig `json:"severity"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		GroupBy:              []string{"pipeline"},
		GroupWindow:          30 * time.Minute,
		CorrelationWindow:    30 * time.Minute,
		MinDuration:          0,
		ResolveTimeout:       15 * time.Minute,
		ResolveAfter:         10 * time.Minute,
		FlapThreshold:        4,
		FlapWindow:           30 * time.Minute,
		MaxAlertsPerIncident: 200,
		MaxOpenIncidents:     1000,
		MaxResolved:          1000,
		MaxEvidence:          1024,
		EvidenceOnly:         []Kind{KindDrift},
		Severity:             DefaultSeverityConfig(),
	}
}

// withDefaults fills the zero fields of c from DefaultConfig, keeping an
// explicitly empty GroupBy.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.GroupBy == nil {
		c.GroupBy = d.GroupBy
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	if c.EvidenceOnly == nil {
		// Nil takes the default; an empty list makes every kind open
		// incidents.
		c.EvidenceOnly = d.EvidenceOnly
	}
	setDur(&c.GroupWindow, d.GroupWindow)
	setDur(&c.CorrelationWindow, d.CorrelationWindow)
	setDur(&c.ResolveTimeout, d.ResolveTimeout)
	setDur(&c.ResolveAfter, d.ResolveAfter)
	setDur(&c.FlapWindow, d.FlapWindow)
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.FlapThreshold, d.FlapThreshold)
	setInt(&c.MaxAlertsPerIncident, d.MaxAlertsPerIncident)
	setInt(&c.MaxOpenIncidents, d.MaxOpenIncidents)
	setInt(&c.MaxResolved, d.MaxResolved)
	setInt(&c.MaxEvidence, d.MaxEvidence)
	c.Severity = c.Severity.withDefaults()
	return c
}

// validate reports the first problem of a defaulted configuration.
func (c *Config) validate() error {
	for name, v := range map[string]time.Duration{
		"group_window": c.GroupWindow, "correlation_window": c.CorrelationWindow,
		"min_duration": c.MinDuration, "resolve_timeout": c.ResolveTimeout,
		"resolve_after": c.ResolveAfter, "flap_window": c.FlapWindow,
	} {
		if v < 0 {
			return fmt.Errorf("incident config: %s is negative: %w", name, ErrInvalid)
		}
	}
	for name, v := range map[string]int{
		"flap_threshold": c.FlapThreshold, "max_alerts_per_incident": c.MaxAlertsPerIncident,
		"max_open_incidents": c.MaxOpenIncidents, "max_resolved": c.MaxResolved,
		"max_evidence": c.MaxEvidence,
	} {
		if v < 1 {
			return fmt.Errorf("incident config: %s must be at least 1: %w", name, ErrInvalid)
		}
	}
	for i := range c.Inhibit {
		if err := c.Inhibit[i].compile(); err != nil {
			return fmt.Errorf("incident config: inhibit rule %d: %w", i, err)
		}
	}
	return nil
}
