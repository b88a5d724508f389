package incident

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// Fingerprint identifies the condition a Signal reports: its kind, source,
// subject, node and labels, but not its time, score or evidence. Signals
// with the same fingerprint while an incident holds it are one alert,
// counted.
func Fingerprint(s Signal) string {
	h := fnv.New64a()
	sep := []byte{0xff}
	write := func(v string) {
		h.Write([]byte(v))
		h.Write(sep)
	}
	write(string(s.Kind))
	write(s.Source)
	write(s.Subject)
	write(s.Node)
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		write(k)
		write(s.Labels[k])
	}
	return strconv.FormatUint(h.Sum64(), 16)
}
