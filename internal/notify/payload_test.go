package notify

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkSlackBlocks verifies a Block Kit message: a header with the title,
// sections of mrkdwn text with at most ten fields, and a context block, all
// within Slack's documented limits.
func checkSlackBlocks(t *testing.T, msg map[string]any, n Notification) {
	t.Helper()
	if text, _ := msg["text"].(string); !strings.Contains(text, n.Title) {
		t.Errorf("text = %q, want it to hold the title %q", text, n.Title)
	}
	blocks, _ := msg["blocks"].([]any)
	if len(blocks) == 0 || len(blocks) > 50 {
		t.Fatalf("blocks = %v, want 1 to 50 blocks", msg["blocks"])
	}
	var types []string
	for i, b := range blocks {
		block, _ := b.(map[string]any)
		typ, _ := block["type"].(string)
		types = append(types, typ)
		switch typ {
		case "header":
			checkKeys(t, "header block", block, []string{"type", "text"}, []string{"block_id"})
			text := checkSlackText(t, block["text"], "plain_text", slackHeaderMax)
			if !strings.Contains(text, n.Title) || !strings.Contains(text, strings.ToUpper(string(n.Status))) {
				t.Errorf("header = %q, want the status and title", text)
			}
		case "section":
			checkKeys(t, "section block", block, nil, []string{"type", "text", "fields", "block_id", "accessory"})
			if _, ok := block["text"]; ok {
				checkSlackText(t, block["text"], "mrkdwn", slackSectionMax)
			} else if _, ok := block["fields"]; !ok {
				t.Errorf("section block %d has neither text nor fields", i)
			}
			if fields, ok := block["fields"].([]any); ok {
				if len(fields) > slackFieldsMax {
					t.Errorf("section block %d has %d fields, at most %d allowed", i, len(fields), slackFieldsMax)
				}
				for _, f := range fields {
					checkSlackText(t, f, "mrkdwn", slackFieldMax)
				}
			}
		case "context":
			checkKeys(t, "context block", block, []string{"type", "elements"}, []string{"block_id"})
			elems, _ := block["elements"].([]any)
			if len(elems) == 0 || len(elems) > 10 {
				t.Errorf("context block has %d elements, want 1 to 10", len(elems))
			}
			for _, e := range elems {
				checkSlackText(t, e, "mrkdwn", slackSectionMax)
			}
		default:
			t.Errorf("block %d has unexpected type %q", i, typ)
		}
	}
	if types[0] != "header" || types[len(types)-1] != "context" {
		t.Errorf("block types = %v, want a header first and a context last", types)
	}
}

// checkSlackText verifies a Block Kit text object and returns its text.
func checkSlackText(t *testing.T, v any, typ string, maxLen int) string {
	t.Helper()
	obj, _ := v.(map[string]any)
	checkKeys(t, "text object", obj, []string{"type", "text"}, []string{"emoji", "verbatim"})
	if obj["type"] != typ {
		t.Errorf("text object type = %v, want %s", obj["type"], typ)
	}
	text, _ := obj["text"].(string)
	if text == "" || len([]rune(text)) > maxLen {
		t.Errorf("text object text has %d characters, want 1 to %d", len([]rune(text)), maxLen)
	}
	return text
}

func checkSlackWebhook(t *testing.T, r *http.Request, body []byte, n Notification) {
	if !strings.HasPrefix(r.URL.Path, "/services/") {
		t.Errorf("path = %s, want the webhook's /services/ path", r.URL.Path)
	}
	msg := decodeObject(t, body)
	checkKeys(t, "webhook message", msg, []string{"text", "blocks"}, nil)
	checkSlackBlocks(t, msg, n)
}

func checkSlackAPI(t *testing.T, r *http.Request, body []byte, n Notification) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+testSecret {
		t.Errorf("Authorization = %q, want the bot token", got)
	}
	msg := decodeObject(t, body)
	if msg["channel"] != "C0INCIDENTS" {
		t.Errorf("channel = %v, want C0INCIDENTS", msg["channel"])
	}
	switch r.URL.Path {
	case "/api/chat.postMessage":
		checkKeys(t, "chat.postMessage", msg, []string{"channel", "text", "blocks"}, []string{"thread_ts"})
		if n.Sequence > 1 && msg["thread_ts"] != "1700000000.000100" {
			t.Errorf("update %d posted with thread_ts %v, want the incident's thread", n.Sequence, msg["thread_ts"])
		}
	case "/api/chat.update":
		checkKeys(t, "chat.update", msg, []string{"channel", "ts", "text", "blocks"}, nil)
		if msg["ts"] != "1700000000.000100" {
			t.Errorf("chat.update ts = %v, want the incident's message", msg["ts"])
		}
	default:
		t.Errorf("path = %s, want a chat method", r.URL.Path)
	}
	checkSlackBlocks(t, msg, n)
}

func checkPagerDuty(t *testing.T, r *http.Request, body []byte, n Notification) {
	if r.URL.Path != "/v2/enqueue" {
		t.Errorf("path = %s, want /v2/enqueue", r.URL.Path)
	}
	ev := decodeObject(t, body)
	checkKeys(t, "event", ev, []string{"routing_key", "event_action", "dedup_key"},
		[]string{"payload", "images", "links", "client", "client_url"})
	if ev["routing_key"] != testSecret {
		t.Errorf("routing_key = %v, want the routing key", ev["routing_key"])
	}
	wantAction := map[Status]string{StatusFiring: "trigger", StatusAcknowledged: "acknowledge", StatusResolved: "resolve"}[n.Status]
	if ev["event_action"] != wantAction {
		t.Errorf("event_action = %v, want %s", ev["event_action"], wantAction)
	}
	if ev["dedup_key"] != n.Key {
		t.Errorf("dedup_key = %v, want %s", ev["dedup_key"], n.Key)
	}
	if n.Status != StatusFiring {
		return
	}
	payload, _ := ev["payload"].(map[string]any)
	checkKeys(t, "payload", payload, []string{"summary", "source", "severity"},
		[]string{"timestamp", "component", "group", "class", "custom_details"})
	if s, _ := payload["summary"].(string); s == "" || len(s) > pagerDutySummaryMax {
		t.Errorf("payload.summary = %q, want 1 to %d characters", s, pagerDutySummaryMax)
	}
	if payload["source"] != "vigil-test" {
		t.Errorf("payload.source = %v, want vigil-test", payload["source"])
	}
	if sev, _ := payload["severity"].(string); !slices.Contains([]string{"critical", "error", "warning", "info"}, sev) || sev != string(n.Severity) {
		t.Errorf("payload.severity = %q, want %s", sev, n.Severity)
	}
	if ts, _ := payload["timestamp"].(string); ts != "" {
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("payload.timestamp = %q: %v", ts, err)
		}
	}
	if details, _ := payload["custom_details"].(map[string]any); details["incident_id"] != n.IncidentID {
		t.Errorf("payload.custom_details = %v, want the incident ID", payload["custom_details"])
	}
	links, _ := ev["links"].([]any)
	if len(links) != len(n.Links) {
		t.Fatalf("links = %v, want %d", ev["links"], len(n.Links))
	}
	for i, l := range links {
		link, _ := l.(map[string]any)
		checkKeys(t, "link", link, []string{"href"}, []string{"text"})
		if link["href"] != n.Links[i].Href {
			t.Errorf("links[%d].href = %v, want %s", i, link["href"], n.Links[i].Href)
		}
	}
}

func checkAlertmanager(t *testing.T, r *http.Request, body []byte, n Notification) {
	if r.URL.Path != "/api/v2/alerts" {
		t.Errorf("path = %s, want /api/v2/alerts", r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testSecret {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
	alerts := decodeArray(t, body)
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	checkKeys(t, "alert", a, []string{"labels", "annotations", "startsAt"}, []string{"endsAt", "generatorURL"})
	labels, _ := a["labels"].(map[string]any)
	for _, k := range []string{"alertname", "severity", "incident", "team", "pipeline"} {
		if s, _ := labels[k].(string); s == "" {
			t.Errorf("labels[%q] is empty: %v", k, labels)
		}
	}
	starts := checkTime(t, "startsAt", a["startsAt"])
	if !starts.Equal(n.StartsAt) {
		t.Errorf("startsAt = %s, want %s", starts, n.StartsAt)
	}
	if n.Status == StatusResolved {
		if ends := checkTime(t, "endsAt", a["endsAt"]); !ends.Equal(n.EndsAt) {
			t.Errorf("endsAt = %s, want %s", ends, n.EndsAt)
		}
	} else if _, ok := a["endsAt"]; ok {
		t.Errorf("a %s alert has endsAt %v, want none", n.Status, a["endsAt"])
	}
	if a["generatorURL"] != n.Links[0].Href {
		t.Errorf("generatorURL = %v, want %s", a["generatorURL"], n.Links[0].Href)
	}
}

func checkWebhook(t *testing.T, r *http.Request, body []byte, n Notification) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+testSecret {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
	msg := decodeObject(t, body)
	checkKeys(t, "webhook message", msg, []string{"version", "groupKey", "truncatedAlerts", "status", "receiver",
		"groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"}, nil)
	if msg["version"] != "4" {
		t.Errorf("version = %v, want 4", msg["version"])
	}
	wantStatus := "firing"
	if n.Status == StatusResolved {
		wantStatus = "resolved"
	}
	if msg["status"] != wantStatus || msg["groupKey"] != n.Key || msg["receiver"] != "team-data" {
		t.Errorf("status, groupKey, receiver = %v, %v, %v; want %s, %s, team-data", msg["status"], msg["groupKey"], msg["receiver"], wantStatus, n.Key)
	}
	alerts, _ := msg["alerts"].([]any)
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}
	a, _ := alerts[0].(map[string]any)
	checkKeys(t, "alert", a, []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}, nil)
	if a["status"] != wantStatus {
		t.Errorf("alert status = %v, want %s", a["status"], wantStatus)
	}
	checkTime(t, "startsAt", a["startsAt"])
	checkTime(t, "endsAt", a["endsAt"])
	if fp, _ := a["fingerprint"].(string); len(fp) != 16 {
		t.Errorf("fingerprint = %q, want 16 hex digits", fp)
	}
}

// decodeArray decodes body as a JSON array of objects.
func decodeArray(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var arr []map[string]any
	if err := json.Unmarshal(body, &arr); err != nil {
		t.Errorf("request body is not a JSON array of objects: %v: %s", err, body)
	}
	return arr
}

// checkTime parses an RFC 3339 time field.
func checkTime(t *testing.T, name string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("%s = %v: %v", name, v, err)
	}
	return at
}
