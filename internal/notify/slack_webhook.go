package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-aiops/vigil/internal/config"
)

// SlackWebhookOptions configures a SlackWebhook.
type SlackWebhookOptions struct {
	// URL is the incoming webhook's URL; it holds the credential, so it is
	// a secret.
	URL config.Secret
	// Client sends the requests; nil means a client with a 30s timeout.
	Client *http.Client
}

// SlackWebhook posts a Block Kit message to a Slack incoming webhook for
// every notification. Incoming webhooks cannot update a message, so each
// update of an incident is a new message; use SlackAPI to keep one thread
// per incident.
type SlackWebhook struct {
	url    config.Secret
	client *http.Client
}

// NewSlackWebhook returns a SlackWebhook.
func NewSlackWebhook(opts SlackWebhookOptions) (*SlackWebhook, error) {
	if opts.URL == "" {
		return nil, errors.New("new slack webhook notifier: url must be set")
	}
	return &SlackWebhook{url: opts.URL, client: httpClient(opts.Client)}, nil
}

// Notify implements Notifier.
func (s *SlackWebhook) Notify(ctx context.Context, n Notification) error {
	if err := n.Validate(); err != nil {
		return &Error{Reason: ReasonInvalid, Err: err}
	}
	_, err := postJSON(ctx, request{
		client:  s.client,
		url:     string(s.url),
		body:    slackMessage{Text: slackHeadline(n), Blocks: slackBlocks(n)},
		secrets: urlSecrets(string(s.url)),
	})
	if err != nil {
		return fmt.Errorf("post to slack webhook: %w", err)
	}
	return nil
}
