package spec

// Option tunes how specs are validated.
type Option func(*options)

type options struct {
	connectors    []string
	checkEndpoint func(use string, e Endpoint) error
}

func newOptions(opts []Option) options {
	o := options{connectors: DefaultConnectors()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithConnectors sets the connector kinds that exist, replacing
// DefaultConnectors; the connector registry knows them. An endpoint of
// another kind is a problem, with the closest known kind suggested.
func WithConnectors(kinds ...string) Option {
	return func(o *options) { o.connectors = append([]string(nil), kinds...) }
}

// WithEndpointCheck has check look at the settings of every endpoint whose
// connector kind is known. use says what the task uses the endpoint for:
// "source", "sink", "dead_letter" or "sql". Each error check returns becomes
// a problem of that endpoint; the errors of an errors.Join become one problem
// each.
func WithEndpointCheck(check func(use string, e Endpoint) error) Option {
	return func(o *options) { o.checkEndpoint = check }
}

// knownConnector reports whether kind is a known connector kind.
func (o options) knownConnector(kind string) bool {
	for _, k := range o.connectors {
		if k == kind {
			return true
		}
	}
	return false
}
