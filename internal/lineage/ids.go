package lineage

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// runUUIDSpace is the UUIDv5 namespace of Vigil's run IDs: the UUIDv5 of
// the URL https://github.com/vigil-aiops/vigil in the RFC 9562 URL
// namespace, 65e7f065-1351-5bfe-a74a-59e01c82f79e.
var runUUIDSpace = [16]byte{0x65, 0xe7, 0xf0, 0x65, 0x13, 0x51, 0x5b, 0xfe, 0xa7, 0x4a, 0x59, 0xe0, 0x1c, 0x82, 0xf7, 0x9e}

// RunUUID returns the OpenLineage run ID of a Vigil pipeline run: the
// UUIDv5 (RFC 9562) of namespace, a NUL byte and runID, in runUUIDSpace.
// OpenLineage wants a UUID where Vigil has <pipeline>/<logical time>; the
// derivation is deterministic, so every event of a run carries the same ID
// and anyone can compute it, and the job namespace keeps two Vigil
// installations that share an OpenLineage backend apart.
func RunUUID(namespace, runID string) string {
	return uuid5(runUUIDSpace, namespace+"\x00"+runID)
}

// TaskRunUUID returns the OpenLineage run ID of one attempt of a task of a
// Vigil run: RunUUID of <run ID>/<task>/<attempt>. Each attempt is its own
// OpenLineage run, as OpenLineage allows one START and one final event per
// run.
func TaskRunUUID(namespace, runID, task string, attempt int) string {
	return RunUUID(namespace, runID+"/"+task+"/"+strconv.Itoa(attempt))
}

// uuid5 returns the name-based, SHA-1 UUID (version 5) of name in space,
// in canonical form.
func uuid5(space [16]byte, name string) string {
	h := sha1.New()
	h.Write(space[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}

// DatasetScheme is the URI scheme of the namespaces of Vigil's datasets.
const DatasetScheme = "vigil"

// DatasetIdentity maps a Vigil dataset name, <store>.<table> such as
// warehouse.raw_orders, to an OpenLineage namespace and name: the store
// becomes the namespace vigil://warehouse, as OpenLineage namespaces name
// the data source, and the rest, raw_orders, the name. The split is at the
// first dot, so warehouse.sales.orders is sales.orders in vigil://warehouse.
// The store must be made of letters, digits, '-' and '_'; VigilDatasetName
// is the inverse.
func DatasetIdentity(vigilName string) (namespace, name string, err error) {
	store, name, ok := strings.Cut(vigilName, ".")
	if !ok || store == "" || name == "" {
		return "", "", fmt.Errorf("dataset %s: want <store>.<name>", quote(vigilName))
	}
	if !isStore(store) {
		return "", "", fmt.Errorf("dataset %s: store %s may hold only letters, digits, '-' and '_'", quote(vigilName), quote(store))
	}
	return DatasetScheme + "://" + store, name, nil
}

// VigilDatasetName returns the Vigil name of the OpenLineage dataset with
// namespace and name, and whether it is one of Vigil's (see
// DatasetIdentity).
func VigilDatasetName(namespace, name string) (string, bool) {
	store, ok := strings.CutPrefix(namespace, DatasetScheme+"://")
	if !ok || !isStore(store) || name == "" {
		return "", false
	}
	return store + "." + name, true
}

// isStore reports whether s is a valid store name: non-empty letters,
// digits, '-' and '_', which a URI authority may hold as they are.
func isStore(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
