package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// startChild runs Vigil as a separate process (this test binary in child
// mode) on dataDir and waits until it is ready.
func startChild(t *testing.T, dataDir string, config ...string) (*exec.Cmd, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(append([]string{dataDir, addr}, config...), "\x1f"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("child did not become ready: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeBatch encodes one remote-write 1.0 request: the sample (ts, value)
// for each of n series durability_test{s="k"}.
func writeBatch(n int, ts int64, value float64) []byte {
	var req []byte
	for k := range n {
		req = remotewrite.AppendSeriesV1(req,
			[]remotewrite.Label{{Name: "__name__", Value: "durability_test"}, {Name: "s", Value: fmt.Sprint(k)}},
			[]remotewrite.Sample{{Value: value, Timestamp: ts}})
	}
	return snappy.Encode(nil, req)
}

// TestKill9LosesNoAcknowledgedSample writes steadily, kills Vigil with
// SIGKILL mid-stream, restarts it on the same data directory, and checks
// that every sample acknowledged with 2xx is queryable (WAL replay).
func TestKill9LosesNoAcknowledgedSample(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs Vigil as a process")
	}
	const nSeries = 50
	dir := t.TempDir()
	cmd, addr := startChild(t, dir)
	t0 := time.Now().Add(-30 * time.Minute).Truncate(time.Second)

	var (
		mu    sync.Mutex
		acked []int
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/write", bytes.NewReader(writeBatch(nSeries, t0.Add(time.Duration(i)*100*time.Millisecond).UnixMilli(), float64(i))))
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Content-Encoding", "snappy")
			resp, err := client.Do(req)
			if err != nil {
				return // The server is gone.
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				mu.Lock()
				acked = append(acked, i)
				mu.Unlock()
			}
		}
	}()
	// Let it write for a while, then kill it in the middle of the stream.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 2000 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	close(stop)
	_ = cmd.Wait()

	_, addr = startChild(t, dir)
	c := client{base: "http://" + addr}
	code, body := c.do(t, http.MethodGet, "/api/v1/query?"+url.Values{
		"query": {"durability_test[2h]"},
		"time":  {fmt.Sprint(time.Now().Unix())},
	}.Encode(), nil, nil)
	if code != 200 {
		t.Fatalf("query after restart: %d %s", code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Data.Result) != nSeries {
		t.Fatalf("%d series after restart, want %d", len(r.Data.Result), nSeries)
	}
	for _, s := range r.Data.Result {
		have := map[string]bool{}
		for _, v := range s.Values {
			have[v[1].(string)] = true
		}
		var missing []string
		for _, i := range acked {
			if !have[fmt.Sprint(i)] {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		if len(missing) > 0 {
			t.Fatalf("series %v lost %d acknowledged samples after kill -9: %s", s.Metric, len(missing), strings.Join(missing, ","))
		}
	}
	t.Logf("%d acknowledged requests × %d series all present after kill -9 and restart", len(acked), nSeries)
}
