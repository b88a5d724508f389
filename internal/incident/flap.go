package incident

import "time"

// flapping reports whether inc flaps at now: it starts when one alert has
// cleared FlapThreshold times within FlapWindow, and, for hysteresis, ends
// only when every alert has cleared fewer than half as many times within
// the window.
func (m *Manager) flapping(inc *Incident, now time.Time) bool {
	limit := m.cfg.FlapThreshold
	if inc.Flapping {
		limit = (m.cfg.FlapThreshold + 1) / 2
	}
	for _, a := range inc.Alerts {
		n := 0
		for _, c := range a.Clears {
			if now.Sub(c) < m.cfg.FlapWindow {
				n++
			}
		}
		if n >= limit {
			return true
		}
	}
	return false
}
