package notify

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Block Kit limits, from https://api.slack.com/reference/block-kit/blocks.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
	slackFieldsMax  = 10
)

// slackBlock is one Block Kit layout block. Only the fields of the block
// types Vigil uses (header, section, context) are modelled.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackText is a Block Kit text object.
type slackText struct {
	Type string `json:"type"` // "plain_text" or "mrkdwn".
	Text string `json:"text"`
}

// slackMessage is the body shared by incoming webhooks and
// chat.postMessage / chat.update.
type slackMessage struct {
	Channel  string       `json:"channel,omitempty"`
	TS       string       `json:"ts,omitempty"`
	ThreadTS string       `json:"thread_ts,omitempty"`
	Text     string       `json:"text"`
	Blocks   []slackBlock `json:"blocks"`
}

// slackStatusEmoji returns the emoji that marks a status at a glance.
func slackStatusEmoji(s Status) string {
	switch s {
	case StatusFiring:
		return ":red_circle:"
	case StatusAcknowledged:
		return ":large_yellow_circle:"
	default:
		return ":large_green_circle:"
	}
}

// slackHeadline is the one-line text of n, used as the message's fallback
// text and header.
func slackHeadline(n Notification) string {
	return fmt.Sprintf("[%s] %s", strings.ToUpper(string(n.Status)), n.Title)
}

// slackBlocks renders n as Block Kit blocks: a header, a section with the
// summary and the severity, status and labels as fields, a section of
// links, and a context line that identifies the incident.
func slackBlocks(n Notification) []slackBlock {
	blocks := []slackBlock{{
		Type: "header",
		Text: &slackText{Type: "plain_text", Text: truncate(slackHeadline(n), slackHeaderMax)},
	}}
	fields := []slackText{
		{Type: "mrkdwn", Text: "*Status*\n" + slackStatusEmoji(n.Status) + " " + string(n.Status)},
		{Type: "mrkdwn", Text: "*Severity*\n" + string(n.Severity)},
	}
	names := make([]string, 0, len(n.Labels))
	for name := range n.Labels {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if len(fields) == slackFieldsMax {
			break
		}
		fields = append(fields, slackText{Type: "mrkdwn", Text: truncate("*"+slackEscape(name)+"*\n"+slackEscape(n.Labels[name]), slackFieldMax)})
	}
	summary := n.Summary
	if summary == "" {
		summary = n.Title
	}
	blocks = append(blocks, slackBlock{
		Type:   "section",
		Text:   &slackText{Type: "mrkdwn", Text: truncate(slackEscape(summary), slackSectionMax)},
		Fields: fields,
	})
	if len(n.Links) > 0 {
		var b strings.Builder
		for i, l := range n.Links {
			if i > 0 {
				b.WriteString(" · ")
			}
			text := l.Text
			if text == "" {
				text = l.Href
			}
			fmt.Fprintf(&b, "<%s|%s>", l.Href, slackEscape(text))
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(b.String(), slackSectionMax)}})
	}
	ctx := fmt.Sprintf("Incident %s · update %d · started %s", slackEscape(n.IncidentID), n.Sequence, n.StartsAt.UTC().Format("2006-01-02 15:04:05 MST"))
	if !n.EndsAt.IsZero() {
		ctx += " · ended " + n.EndsAt.UTC().Format("2006-01-02 15:04:05 MST")
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: ctx}}})
	return blocks
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate shortens s to at most max runes, ending it with an ellipsis when
// it cuts.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
