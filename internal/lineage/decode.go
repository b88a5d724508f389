package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// DefaultMaxBodyBytes is the size limit of a payload when none is given.
// Events with column lineage from Spark run to a few megabytes; this leaves
// room for batches of them.
const DefaultMaxBodyBytes = 16 << 20

// ErrInvalidEvent is matched by every error that says an event breaks the
// specification, so that callers can tell the sender's fault from their own.
// A Sink may wrap it to reject an event it cannot accept.
var ErrInvalidEvent = errors.New("invalid OpenLineage event")

// ErrTooLarge is matched by the error of a payload over the size limit.
var ErrTooLarge = errors.New("OpenLineage payload too large")

// ValidationError says what is wrong with an event and where.
type ValidationError struct {
	// Path is where the problem is, as a JSON path relative to the payload
	// such as run.runId or [2].inputs[0].facets.schema; empty for the whole
	// payload.
	Path string
	// Message says what is wrong.
	Message string
}

// Error returns the path and the message, as in
// `run.runId: "abc" is not a UUID`.
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Is makes every ValidationError match ErrInvalidEvent.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalidEvent
}

// invalid returns a ValidationError.
func invalid(path, format string, args ...any) error {
	return &ValidationError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Decode reads one RunEvent as JSON from r and validates it. It reads at
// most limit bytes (DefaultMaxBodyBytes when limit is not positive) and
// fails with an error matching ErrTooLarge beyond that.
//
// Validation follows the OpenLineage schema: eventTime, producer, schemaURL,
// run and job are required; eventType, when present, is one of the
// specification's types; run IDs are UUIDs; times are RFC 3339 date-times
// with a time zone; URIs are absolute; every facet is an object with
// _producer and _schemaURL; and the typed facets follow their own schemas.
// Beyond the schema, job and dataset names and namespaces must not be
// empty, as they identify what Vigil stores. Unknown fields are ignored and
// unknown facets kept, as the specification asks. Errors about the payload
// are ValidationErrors, which name the JSON path and match
// ErrInvalidEvent; errors reading r are returned wrapped.
//
// Decode normalizes what it returns: times in UTC, run IDs in lower case,
// empty arrays and objects as nil (except ColumnMetrics), and untyped facets
// as compact JSON with sorted keys. Encoding the event and decoding it again
// gives the same value.
func Decode(r io.Reader, limit int64) (RunEvent, error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return RunEvent{}, err
	}
	v, err := parseJSON(data)
	if err != nil {
		return RunEvent{}, err
	}
	if _, ok := v.([]any); ok {
		return RunEvent{}, invalid("", "got an array, want one event (DecodeBatch reads arrays)")
	}
	return decodeEvent("", v)
}

// DecodeBatch is Decode for a payload that is either one event or a JSON
// array of events; it returns them in order. The whole batch is rejected if
// one event is invalid, and the error's path begins with the event's index,
// as in [2].run.runId. An empty array is invalid.
func DecodeBatch(r io.Reader, limit int64) ([]RunEvent, error) {
	events, _, err := decodeBatch(r, limit)
	return events, err
}

// decodeBatch is DecodeBatch that also reports whether the payload was an
// array.
func decodeBatch(r io.Reader, limit int64) (events []RunEvent, isArray bool, err error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, false, err
	}
	v, err := parseJSON(data)
	if err != nil {
		return nil, false, err
	}
	arr, ok := v.([]any)
	if !ok {
		ev, err := decodeEvent("", v)
		if err != nil {
			return nil, false, err
		}
		return []RunEvent{ev}, false, nil
	}
	if len(arr) == 0 {
		return nil, true, invalid("", "empty batch: want at least one event")
	}
	events = make([]RunEvent, len(arr))
	for i, item := range arr {
		if events[i], err = decodeEvent(indexPath("", i), item); err != nil {
			return nil, true, err
		}
	}
	return events, true, nil
}

// readLimited reads all of r, failing with ErrTooLarge past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
		}
		return nil, fmt.Errorf("read OpenLineage payload: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// parseJSON parses one JSON value into maps, slices, strings, json.Numbers,
// booleans and nils. Parsing everything once keeps the work linear in the
// size of the payload however deeply it nests.
func parseJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("", "empty payload: want a JSON event")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(err)
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return nil, invalid("", "invalid JSON: data after the top-level value at byte %d", len(data)-len(rest))
	}
	return v, nil
}

// syntaxError turns an error of the JSON parser into a ValidationError.
func syntaxError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalid("", "invalid JSON at byte %d: %v", se.Offset, se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("", "invalid JSON: unexpected end of input")
	}
	return invalid("", "invalid JSON: %v", err)
}

// decodeEvent builds a RunEvent from a parsed JSON value at path.
func decodeEvent(path string, v any) (RunEvent, error) {
	var ev RunEvent
	o, err := asObject(path, v)
	if err != nil {
		return ev, err
	}
	et, ok, err := o.str("eventType", false)
	if err != nil {
		return ev, err
	}
	if ok {
		if ev.EventType = EventType(et); !ev.EventType.Valid() {
			return ev, invalid(o.at("eventType"), "%s is not one of %s", quote(et), eventTypeList())
		}
	}
	if ev.EventTime, err = o.timestamp("eventTime", true); err != nil {
		return ev, err
	}
	ro, _, err := o.object("run", true)
	if err != nil {
		return ev, err
	}
	if ev.Run, err = decodeRun(ro); err != nil {
		return ev, err
	}
	jo, _, err := o.object("job", true)
	if err != nil {
		return ev, err
	}
	if ev.Job, err = decodeJob(jo); err != nil {
		return ev, err
	}
	if ev.Inputs, err = decodeArray(o, "inputs", decodeInput); err != nil {
		return ev, err
	}
	if ev.Outputs, err = decodeArray(o, "outputs", decodeOutput); err != nil {
		return ev, err
	}
	if ev.Producer, err = o.uri("producer"); err != nil {
		return ev, err
	}
	if ev.SchemaURL, err = o.uri("schemaURL"); err != nil {
		return ev, err
	}
	return ev, nil
}

// eventTypeList names the valid event types for error messages.
func eventTypeList() string {
	names := make([]string, len(eventTypes))
	for i, t := range eventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// decodeRun builds a Run from its object.
func decodeRun(o object) (Run, error) {
	var r Run
	var err error
	if r.RunID, err = o.uuid("runId"); err != nil {
		return r, err
	}
	if v, ok := o.m["facets"]; ok {
		r.Facets, err = decodeRunFacets(o.at("facets"), v)
	}
	return r, err
}

// decodeJob builds a Job from its object.
func decodeJob(o object) (Job, error) {
	var j Job
	var err error
	if j.Namespace, err = o.name("namespace"); err != nil {
		return j, err
	}
	if j.Name, err = o.name("name"); err != nil {
		return j, err
	}
	if v, ok := o.m["facets"]; ok {
		j.Facets, err = decodeJobFacets(o.at("facets"), v)
	}
	return j, err
}

// decodeInput builds an InputDataset from its object.
func decodeInput(o object) (InputDataset, error) {
	var d InputDataset
	var err error
	if d.Namespace, d.Name, err = datasetID(o); err != nil {
		return d, err
	}
	if v, ok := o.m["facets"]; ok {
		if d.Facets, err = decodeDatasetFacets(o.at("facets"), v); err != nil {
			return d, err
		}
	}
	if v, ok := o.m["inputFacets"]; ok {
		d.InputFacets, err = decodeInputFacets(o.at("inputFacets"), v)
	}
	return d, err
}

// decodeOutput builds an OutputDataset from its object.
func decodeOutput(o object) (OutputDataset, error) {
	var d OutputDataset
	var err error
	if d.Namespace, d.Name, err = datasetID(o); err != nil {
		return d, err
	}
	if v, ok := o.m["facets"]; ok {
		if d.Facets, err = decodeDatasetFacets(o.at("facets"), v); err != nil {
			return d, err
		}
	}
	if v, ok := o.m["outputFacets"]; ok {
		d.OutputFacets, err = decodeOutputFacets(o.at("outputFacets"), v)
	}
	return d, err
}

// datasetID reads the namespace and name of a dataset.
func datasetID(o object) (namespace, name string, err error) {
	if namespace, err = o.name("namespace"); err != nil {
		return "", "", err
	}
	name, err = o.name("name")
	return namespace, name, err
}

// decodeArray decodes the optional array o[key] of objects with decode; an
// empty array gives nil.
func decodeArray[T any](o object, key string, decode func(object) (T, error)) ([]T, error) {
	items, err := o.array(key)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	out := make([]T, len(items))
	for i, item := range items {
		elem, err := asObject(indexPath(o.at(key), i), item)
		if err != nil {
			return nil, err
		}
		if out[i], err = decode(elem); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sortedKeys returns the keys of m in order, so that the first error found
// in a map is always the same.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
