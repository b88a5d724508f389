package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// hookLog is a webhook receiver that accepts only the incidents it is told
// to, answers 503 for the others as a receiver in an outage does, and
// counts what it accepted per incident and status.
type hookLog struct {
	mu       sync.Mutex
	allow    func(key string, seen int) bool
	seen     map[string]bool
	accepted map[string]int // By "key status".
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var msg struct {
		GroupKey string `json:"groupKey"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal(b, &msg); err != nil || msg.GroupKey == "" {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[msg.GroupKey] = true
	if !h.allow(msg.GroupKey, len(h.seen)) {
		http.Error(w, "receiver in an outage", http.StatusServiceUnavailable)
		return
	}
	h.accepted[msg.GroupKey+" "+msg.Status]++
}

func (h *hookLog) counts() (seen int, accepted map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	accepted = make(map[string]int, len(h.accepted))
	for k, v := range h.accepted {
		accepted[k] = v
	}
	return len(h.seen), accepted
}

// TestKill9NotificationsExactlyOnce opens ten incidents while their
// receiver is down for all but the first five, kills Vigil with SIGKILL,
// ends the outage and restarts Vigil on the same data: every incident must
// reach the receiver exactly once, under the name it was first sent with,
// and none of those accepted before the kill again.
func TestKill9NotificationsExactlyOnce(t *testing.T) {
	h := &hookLog{seen: map[string]bool{}, accepted: map[string]int{}}
	allowed := map[string]bool{}
	h.allow = func(key string, _ int) bool {
		if len(allowed) < 5 {
			allowed[key] = true
		}
		return allowed[key]
	}
	hook := httptest.NewServer(h)
	defer hook.Close()
	dir := t.TempDir()
	writeFile(t, dir+"/etl.rules.yaml", "groups:\n  - name: etl\n    interval: 200ms\n    rules:\n      - alert: RowsFailing\n        expr: rows_failed > 5\n")
	writeFile(t, dir+"/vigil.yaml", "rule_files: [\""+dir+"/*.rules.yaml\"]\n"+
		"notify:\n  receivers:\n    - name: hook\n      min_severity: info\n      webhook: {url: \""+hook.URL+"\"}\n")
	data := dir + "/data"
	cmd, addr := startChild(t, data, dir+"/vigil.yaml")

	var req []byte
	for p := range 10 {
		req = remotewrite.AppendSeriesV1(req, []remotewrite.Label{{Name: "__name__", Value: "rows_failed"}, {Name: "pipeline", Value: fmt.Sprintf("billing_%d", p)}},
			[]remotewrite.Sample{{Value: 9, Timestamp: time.Now().Add(-5 * time.Second).UnixMilli()}})
	}
	c := client{base: "http://" + addr}
	if code, resp := c.do(t, "POST", "/api/v1/write", snappy.Encode(nil, req), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}); code != 204 {
		t.Fatalf("write: %d %s", code, resp)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen, accepted := h.counts()
		if seen == 10 && len(accepted) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("before the kill: %d incidents seen, %d accepted", seen, len(accepted))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the five deliveries be recorded, then kill in the middle of the
	// retries of the other five.
	time.Sleep(time.Second)
	_, before := h.counts()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	h.mu.Lock()
	h.allow = func(string, int) bool { return true } // The outage ends.
	h.mu.Unlock()

	startChild(t, data, dir+"/vigil.yaml")
	// The retries before the kill left backoffs of up to a minute or two.
	deadline = time.Now().Add(3 * time.Minute)
	for {
		seen, accepted := h.counts()
		if len(accepted) >= 10 {
			if seen != 10 {
				t.Fatalf("%d incidents notified, want 10: after the restart some were opened again under new names", seen)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: %d of 10 incidents delivered: %v", len(accepted), accepted)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Anything sent twice would arrive within a few poll intervals.
	time.Sleep(3 * time.Second)
	seen, accepted := h.counts()
	var keys []string
	for k, n := range accepted {
		keys = append(keys, k)
		if n != 1 {
			t.Errorf("%s accepted %d times", k, n)
		}
	}
	sort.Strings(keys)
	if seen != 10 || len(accepted) != 10 {
		t.Fatalf("%d incidents seen, %d notifications accepted (want 10 and 10): %v", seen, len(accepted), keys)
	}
	for k := range before {
		if accepted[k] != 1 {
			t.Errorf("%s, accepted before the kill, now counted %d times", k, accepted[k])
		}
	}
	if testing.Verbose() {
		fmt.Fprintln(os.Stderr, "delivered once each:", keys)
	}
}
