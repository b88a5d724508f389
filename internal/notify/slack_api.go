package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/vigil-aiops/vigil/internal/config"
)

// DefaultSlackAPIURL is the base URL of Slack's Web API.
const DefaultSlackAPIURL = "https://slack.com/api"

// SlackAPIOptions configures a SlackAPI.
type SlackAPIOptions struct {
	// Token is the bot token (xoxb-…) with the chat:write scope.
	Token config.Secret
	// Channel is the ID or name of the channel to post to.
	Channel string
	// Threads remembers each incident's thread. It is required.
	Threads ThreadStore
	// BaseURL is the Web API's base URL; empty means DefaultSlackAPIURL.
	BaseURL string
	// Client sends the requests; nil means a client with a 30s timeout.
	Client *http.Client
}

// SlackAPI keeps one Slack thread per incident through the Web API: the
// first notification of an incident is posted with chat.postMessage, and
// each later one rewrites that message with chat.update and adds a reply
// to its thread, so the channel shows the incident's current state once and
// its history in the thread.
type SlackAPI struct {
	token   config.Secret
	channel string
	threads ThreadStore
	baseURL string
	client  *http.Client
}

// NewSlackAPI returns a SlackAPI.
func NewSlackAPI(opts SlackAPIOptions) (*SlackAPI, error) {
	switch {
	case opts.Token == "":
		return nil, errors.New("new slack api notifier: token must be set")
	case opts.Channel == "":
		return nil, errors.New("new slack api notifier: channel must be set")
	case opts.Threads == nil:
		return nil, errors.New("new slack api notifier: thread store must be set")
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultSlackAPIURL
	}
	return &SlackAPI{
		token:   opts.Token,
		channel: opts.Channel,
		threads: opts.Threads,
		baseURL: strings.TrimRight(base, "/"),
		client:  httpClient(opts.Client),
	}, nil
}

// slackAPIResponse is the part of a Web API response Vigil reads.
type slackAPIResponse struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// slackErrorReason classifies a Web API error code: the few that are
// worth retrying, and every other one as the caller's mistake.
func slackErrorReason(code string) Reason {
	switch code {
	case "ratelimited":
		return ReasonRateLimited
	case "internal_error", "fatal_error", "service_unavailable":
		return ReasonServerError
	case "request_timeout":
		return ReasonUnreachable
	default:
		return ReasonClientError
	}
}

// Notify implements Notifier.
func (s *SlackAPI) Notify(ctx context.Context, n Notification) error {
	if err := n.Validate(); err != nil {
		return &Error{Reason: ReasonInvalid, Err: err}
	}
	key := s.channel + "/" + n.Key
	th, ok, err := s.threads.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("get slack thread of %q: %w", n.Key, err)
	}
	msg := slackMessage{Text: slackHeadline(n), Blocks: slackBlocks(n)}
	if !ok {
		msg.Channel = s.channel
		resp, err := s.call(ctx, "chat.postMessage", msg)
		if err != nil {
			return err
		}
		if err := s.threads.Put(ctx, key, Thread{Channel: resp.Channel, TS: resp.TS}); err != nil {
			return fmt.Errorf("put slack thread of %q: %w", n.Key, err)
		}
		return nil
	}
	msg.Channel, msg.TS = th.Channel, th.TS
	if _, err := s.call(ctx, "chat.update", msg); err != nil {
		return err
	}
	reply := slackMessage{
		Channel:  th.Channel,
		ThreadTS: th.TS,
		Text:     slackHeadline(n),
		Blocks:   slackBlocks(n),
	}
	if _, err := s.call(ctx, "chat.postMessage", reply); err != nil {
		return err
	}
	return nil
}

// call invokes a Web API method and classifies its failures, including the
// ones Slack reports with a 200 response and "ok": false.
func (s *SlackAPI) call(ctx context.Context, method string, msg slackMessage) (slackAPIResponse, error) {
	token := string(s.token)
	body, err := postJSON(ctx, request{
		client:  s.client,
		url:     s.baseURL + "/" + method,
		header:  http.Header{"Authorization": {"Bearer " + token}},
		body:    msg,
		secrets: []string{token},
	})
	if err != nil {
		return slackAPIResponse{}, fmt.Errorf("call slack %s: %w", method, err)
	}
	var resp slackAPIResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		err = &Error{Reason: ReasonServerError, Err: fmt.Errorf("decode response %q: %w", excerpt(body), err)}
		return slackAPIResponse{}, fmt.Errorf("call slack %s: %w", method, redact(err, token))
	}
	if !resp.OK {
		err := &Error{Reason: slackErrorReason(resp.Error), StatusCode: http.StatusOK, Err: fmt.Errorf("slack error %q", resp.Error)}
		return slackAPIResponse{}, fmt.Errorf("call slack %s: %w", method, redact(err, token))
	}
	if method == "chat.postMessage" && (resp.Channel == "" || resp.TS == "") {
		err := &Error{Reason: ReasonServerError, Err: errors.New("response lacks channel or ts")}
		return slackAPIResponse{}, fmt.Errorf("call slack %s: %w", method, err)
	}
	return resp, nil
}
