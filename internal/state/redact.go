package state

import (
	"errors"
	"net/url"
	"strings"
)

// redacted replaces secrets in URLs and messages.
const redacted = "xxxxx"

// secretParams returns the URL query parameters that pgx reads secrets from.
func secretParams() []string {
	return []string{"password", "sslpassword"}
}

// redactURL returns u as a string with its password and secret query
// parameters replaced.
func redactURL(u *url.URL) string {
	r := *u
	if _, ok := r.User.Password(); ok {
		r.User = url.UserPassword(r.User.Username(), redacted)
	}
	q := r.Query()
	changed := false
	for _, p := range secretParams() {
		if q.Has(p) {
			q.Set(p, redacted)
			changed = true
		}
	}
	if changed {
		r.RawQuery = q.Encode()
	}
	return r.String()
}

// urlSecrets returns the secrets u carries, in raw and in URL-escaped form.
func urlSecrets(u *url.URL) []string {
	var s []string
	add := func(v string) {
		if v != "" {
			s = append(s, v, url.QueryEscape(v), url.PathEscape(v))
		}
	}
	if pw, ok := u.User.Password(); ok {
		add(pw)
	}
	q := u.Query()
	for _, p := range secretParams() {
		for _, v := range q[p] {
			add(v)
		}
	}
	return s
}

// redactError returns err unchanged if its message holds none of secrets,
// and otherwise a new error with the message's secrets masked. The new error
// does not wrap err, whose message would still reveal them.
func redactError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, redacted)
		}
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}
