package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"

	colmetricspb "go.opentelemetry.io/proto/slim/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The media types of OTLP/HTTP.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// ErrUnsupportedContentType is returned by Decode for a media type that is
// neither OTLP protobuf nor OTLP JSON.
var ErrUnsupportedContentType = errors.New("unsupported content type")

// MediaType returns the OTLP media type named by a Content-Type header value,
// ignoring parameters such as charset, or an error wrapping
// ErrUnsupportedContentType.
func MediaType(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrUnsupportedContentType, contentType, err)
	}
	switch mt {
	case ContentTypeProtobuf, ContentTypeJSON:
		return mt, nil
	}
	return "", fmt.Errorf("%w %q: want %s or %s", ErrUnsupportedContentType, mt, ContentTypeProtobuf, ContentTypeJSON)
}

// Decode parses an OTLP ExportMetricsServiceRequest encoded as contentType:
// binary protobuf, or the OTLP JSON mapping of protobuf, in which trace and
// span IDs are hex rather than base64 and unknown fields are ignored. An
// unsupported content type gives an error wrapping ErrUnsupportedContentType;
// a malformed body gives an error that names the problem.
func Decode(body []byte, contentType string) (*colmetricspb.ExportMetricsServiceRequest, error) {
	mt, err := MediaType(contentType)
	if err != nil {
		return nil, err
	}
	req := &colmetricspb.ExportMetricsServiceRequest{}
	if mt == ContentTypeProtobuf {
		if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, req); err != nil {
			return nil, fmt.Errorf("decode protobuf metrics request: %w", err)
		}
		return req, nil
	}
	body, err = hexIDsToBase64(body)
	if err != nil {
		return nil, fmt.Errorf("decode JSON metrics request: %w", err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("decode JSON metrics request: %w", err)
	}
	return req, nil
}

// hexIDKeys are the JSON keys of the bytes fields that OTLP JSON encodes in
// hex: exemplar trace and span IDs, under their JSON and proto field names.
var hexIDKeys = [...]string{"traceId", "spanId", "trace_id", "span_id"}

// hexIDsToBase64 rewrites the string values of trace and span ID keys from
// hex, as OTLP JSON has them, to base64, as protojson expects bytes. Hex
// digits are valid base64 too, so without this protojson would silently
// decode wrong IDs. The scan only tells keys from values and strings from
// the rest; protojson validates the JSON afterwards, so malformed input is
// left alone. The body is returned as it is when nothing needs rewriting.
func hexIDsToBase64(body []byte) ([]byte, error) {
	var out []byte // nil until the first rewrite
	copied := 0
	for i := 0; i < len(body); {
		if body[i] != '"' {
			i++
			continue
		}
		keyEnd, ok := jsonStringEnd(body, i)
		if !ok {
			break
		}
		colon := skipJSONSpace(body, keyEnd)
		if colon >= len(body) || body[colon] != ':' || !isHexIDKey(body[i:keyEnd]) {
			i = keyEnd
			continue
		}
		start := skipJSONSpace(body, colon+1)
		if start >= len(body) || body[start] != '"' {
			i = keyEnd
			continue
		}
		end, ok := jsonStringEnd(body, start)
		if !ok {
			break
		}
		id, err := unquoteJSON(body[start:end])
		if err != nil {
			break
		}
		raw, err := hex.DecodeString(id)
		if err != nil {
			return nil, fmt.Errorf("%q at offset %d is not hex: %w", body[i+1:keyEnd-1], start, err)
		}
		out = append(out, body[copied:start]...)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, raw)
		out = append(out, '"')
		copied, i = end, end
	}
	if out == nil {
		return body, nil
	}
	return append(out, body[copied:]...), nil
}

// jsonStringEnd returns the offset just past the JSON string that starts
// with the quote at body[start], and false if the string is unterminated.
func jsonStringEnd(body []byte, start int) (int, bool) {
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

func skipJSONSpace(body []byte, i int) int {
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	return i
}

// isHexIDKey reports whether the quoted JSON string q is one of hexIDKeys.
func isHexIDKey(q []byte) bool {
	s := q[1 : len(q)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		u, err := unquoteJSON(q)
		if err != nil {
			return false
		}
		s = []byte(u)
	}
	for _, k := range hexIDKeys {
		if string(s) == k {
			return true
		}
	}
	return false
}

// unquoteJSON returns the contents of the quoted JSON string q, decoding
// escapes only when there are any.
func unquoteJSON(q []byte) (string, error) {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}
