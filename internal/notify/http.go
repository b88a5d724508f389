package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// maxErrorBody is how much of a failed response's body an error quotes.
const maxErrorBody = 512

// maxResponseBody is how much of a response body is read at most.
const maxResponseBody = 1 << 20

// userAgent identifies Vigil to receivers.
const userAgent = "Vigil-Notify/1"

// defaultHTTPTimeout bounds a request when the caller's context does not.
const defaultHTTPTimeout = 30 * time.Second

// httpClient returns c, or a new client with defaultHTTPTimeout if c is nil.
func httpClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: defaultHTTPTimeout}
}

// request is one JSON POST to a receiver.
type request struct {
	client *http.Client
	url    string
	header http.Header
	body   any
	// secrets are redacted from every error the request returns.
	secrets []string
}

// postJSON sends r and returns the response body of a 2xx response. Every
// other outcome is a classified *Error with r's secrets redacted.
func postJSON(ctx context.Context, r request) ([]byte, error) {
	body, err := json.Marshal(r.body)
	if err != nil {
		return nil, &Error{Reason: ReasonInvalid, Err: fmt.Errorf("encode request: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		// The error of NewRequest quotes the URL, which may be secret.
		return nil, &Error{Reason: ReasonInvalid, Err: redact(fmt.Errorf("build request: %w", err), slices.Concat(r.secrets, urlSecrets(r.url))...)}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, redact(transportError(err), r.secrets...)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, redact(transportError(fmt.Errorf("read response: %w", err)), r.secrets...)
	}
	if resp.StatusCode/100 != 2 {
		return nil, redact(statusError(resp, excerpt(respBody)), r.secrets...)
	}
	return respBody, nil
}

// excerpt returns the beginning of b as valid UTF-8, for error messages.
func excerpt(b []byte) string {
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return string(b) + "…"
	}
	return string(b)
}

// urlSecrets returns the forms in which a secret URL may appear in a
// message: whole, and its path and query, which hold the credential of
// URLs such as Slack's incoming webhooks.
func urlSecrets(raw string) []string {
	secrets := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return secrets
	}
	if len(u.Path) > 1 {
		secrets = append(secrets, u.Path)
	}
	if u.RawQuery != "" {
		secrets = append(secrets, u.RawQuery)
	}
	return secrets
}
