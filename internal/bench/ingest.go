// Package bench holds Vigil's benchmark harnesses and their scorers. Each
// harness measures, prints progress on stderr and returns a result that the
// command prints as JSON and as a table; none asserts a number.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/vigil-aiops/vigil/internal/series/remotewrite"
)

// IngestOptions configure the ingest benchmark.
type IngestOptions struct {
	// Series is the number of distinct series (10k by default).
	Series int
	// BatchSize is the number of samples per request; Prometheus sends up
	// to 2000 per request by default.
	BatchSize int
	// Rounds is how many samples each series gets.
	Rounds int
	// Warmup is how many of the rounds are sent before the measurement
	// starts: the first creates every series (and, with detection, its
	// detector and derived series), a one-off cost that would otherwise
	// weigh on a short run as it never does on a long-lived server.
	Warmup int
	// VigilBinary is the vigil executable to start (usually os.Executable()).
	VigilBinary string
	// VigilArgs are extra arguments to vigil serve.
	VigilArgs []string
	// PrometheusBinary, when set, is measured too, on the same requests.
	PrometheusBinary string
	// Detect also measures Vigil with anomaly detection on every series;
	// the main measurement runs with detection off, as pure ingestion.
	Detect bool
	// Progress receives progress lines.
	Progress io.Writer
}

// IngestResult is one target's measurement.
type IngestResult struct {
	Target                      string  `json:"target"`
	Samples                     int     `json:"samples"`
	Seconds                     float64 `json:"seconds"`
	SamplesPerSecond            float64 `json:"samples_per_second"`
	CPUSecondsPerMillionSamples float64 `json:"cpu_seconds_per_million_samples"`
	Rejected                    int     `json:"rejected_requests"`
}

// IngestReport is what `vigil bench ingest` prints.
type IngestReport struct {
	SamplesPerSecond            float64       `json:"samples_per_second"`
	CPUSecondsPerMillionSamples float64       `json:"cpu_seconds_per_million_samples"`
	Series                      int           `json:"series"`
	BatchSize                   int           `json:"batch_size"`
	Vigil                       IngestResult  `json:"vigil"`
	Prometheus                  *IngestResult `json:"prometheus,omitempty"`
	// VigilDetect is Vigil with detection on every series, and
	// DetectRatio its throughput over VigilDetect's without.
	VigilDetect *IngestResult `json:"vigil_detect,omitempty"`
	DetectRatio float64       `json:"detect_ratio,omitempty"`
	// RatioVsPrometheus is Vigil's samples/s over Prometheus's.
	RatioVsPrometheus float64 `json:"ratio_vs_prometheus,omitempty"`
}

// Ingest starts Vigil (and Prometheus when asked) as separate processes on
// loopback, sends both the same pre-encoded remote-write requests as fast
// as they accept them, and measures throughput and the server's CPU time.
func Ingest(ctx context.Context, opts IngestOptions) (IngestReport, error) {
	if opts.Series <= 0 || opts.BatchSize <= 0 || opts.Rounds <= 0 || opts.Series%opts.BatchSize != 0 {
		return IngestReport{}, fmt.Errorf("series (%d) must be a positive multiple of batch size (%d), rounds (%d) positive", opts.Series, opts.BatchSize, opts.Rounds)
	}
	if opts.Warmup < 0 || opts.Warmup >= opts.Rounds {
		return IngestReport{}, fmt.Errorf("warm-up rounds (%d) must be at least 0 and fewer than the rounds (%d)", opts.Warmup, opts.Rounds)
	}
	fmt.Fprintf(opts.Progress, "encoding %d requests (%d series × %d rounds)…\n", opts.Series/opts.BatchSize*opts.Rounds, opts.Series, opts.Rounds)
	start := time.Now().Add(-time.Duration(opts.Rounds) * 15 * time.Second)
	shards := encodeRequests(opts.Series, opts.BatchSize, opts.Rounds, start)

	rep := IngestReport{Series: opts.Series, BatchSize: opts.BatchSize}
	vigilWith := func(name string, detect bool) (IngestResult, error) {
		return measure(ctx, name, shards, opts.Warmup, opts.Progress, func(dir, addr string) *exec.Cmd {
			cfg := filepath.Join(dir, "vigil.yaml")
			_ = os.WriteFile(cfg, []byte(fmt.Sprintf("engine:\n  enabled: %t\n", detect)), 0o600)
			args := append([]string{"serve", "--config", cfg, "--data-dir", filepath.Join(dir, "data"), "--listen", addr}, opts.VigilArgs...)
			return exec.CommandContext(ctx, opts.VigilBinary, args...)
		})
	}
	vigil, err := vigilWith("vigil", false)
	if err != nil {
		return rep, err
	}
	if opts.Detect {
		d, err := vigilWith("vigil+detect", true)
		if err != nil {
			return rep, err
		}
		rep.VigilDetect = &d
		rep.DetectRatio = d.SamplesPerSecond / vigil.SamplesPerSecond
	}
	rep.Vigil = vigil
	rep.SamplesPerSecond = vigil.SamplesPerSecond
	rep.CPUSecondsPerMillionSamples = vigil.CPUSecondsPerMillionSamples
	if opts.PrometheusBinary != "" {
		prom, err := measure(ctx, "prometheus", shards, opts.Warmup, opts.Progress, func(dir, addr string) *exec.Cmd {
			cfg := filepath.Join(dir, "prometheus.yml")
			_ = os.WriteFile(cfg, []byte("global: {}\n"), 0o600)
			return exec.CommandContext(ctx, opts.PrometheusBinary,
				"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
				"--web.listen-address="+addr, "--web.enable-remote-write-receiver", "--log.level=warn")
		})
		if err != nil {
			return rep, err
		}
		rep.Prometheus = &prom
		rep.RatioVsPrometheus = vigil.SamplesPerSecond / prom.SamplesPerSecond
	}
	return rep, nil
}

// encodeRequests returns, per sender shard, the snappy-compressed v1
// requests in send order. A series always belongs to the same shard, as in
// Prometheus's queue manager, so its samples arrive in order.
func encodeRequests(series, batch, rounds int, start time.Time) [][][]byte {
	nShards := series / batch
	shards := make([][][]byte, nShards)
	var raw []byte
	for r := range rounds {
		ts := start.Add(time.Duration(r) * 15 * time.Second).UnixMilli()
		for s := range nShards {
			raw = raw[:0]
			for i := s * batch; i < (s+1)*batch; i++ {
				raw = appendSeries(raw, i, ts, float64(r*31+i%97))
			}
			shards[s] = append(shards[s], snappy.Encode(nil, raw))
		}
	}
	return shards
}

// appendSeries encodes series i with one sample. The labels look like a
// typical scraped target's.
func appendSeries(b []byte, i int, ts int64, v float64) []byte {
	return remotewrite.AppendSeriesV1(b, []remotewrite.Label{
		{Name: "__name__", Value: fmt.Sprintf("bench_metric_%d", i%50)},
		{Name: "app", Value: "bench"},
		{Name: "env", Value: "prod"},
		{Name: "instance", Value: fmt.Sprintf("host-%d.example.org:9100", i/50%200)},
		{Name: "job", Value: "node"},
		{Name: "region", Value: []string{"eu-west-1", "us-east-1", "ap-south-1"}[i%3]},
		{Name: "series", Value: strconv.Itoa(i)},
	}, []remotewrite.Sample{{Value: v, Timestamp: ts}})
}

func measure(ctx context.Context, name string, shards [][][]byte, warmup int, progress io.Writer, command func(dir, addr string) *exec.Cmd) (IngestResult, error) {
	res := IngestResult{Target: name}
	dir, err := os.MkdirTemp("", "vigil-bench-"+name+"-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	cmd := command(dir, addr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start %s: %w", name, err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	if err := waitReady(ctx, "http://"+addr+"/-/ready", 60*time.Second); err != nil {
		return res, fmt.Errorf("%s did not become ready: %w\n%s", name, err, logs.String())
	}
	fmt.Fprintf(progress, "%s ready on %s; sending…\n", name, addr)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(shards)}, Timeout: time.Minute}
	// send posts, from one goroutine per shard, the requests part picks
	// out of each shard's, and returns how many were rejected.
	send := func(part func([][]byte) [][]byte) (int, error) {
		var (
			wg       sync.WaitGroup
			rejected atomic.Int64
			firstErr atomic.Value
		)
		for _, reqs := range shards {
			wg.Go(func() {
				for _, body := range part(reqs) {
					code, err := post(ctx, client, "http://"+addr+"/api/v1/write", body)
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					if code/100 != 2 {
						rejected.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if e, ok := firstErr.Load().(error); ok {
			return 0, fmt.Errorf("send to %s: %w", name, e)
		}
		return int(rejected.Load()), nil
	}
	if warmup > 0 {
		if rej, err := send(func(r [][]byte) [][]byte { return r[:warmup] }); err != nil {
			return res, err
		} else if rej > 0 {
			return res, fmt.Errorf("%s rejected %d warm-up requests", name, rej)
		}
	}

	cpuBefore, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	began := time.Now()
	rejected, err := send(func(r [][]byte) [][]byte { return r[warmup:] })
	if err != nil {
		return res, err
	}
	elapsed := time.Since(began)
	cpuAfter, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	requests := 0
	for _, reqs := range shards {
		requests += len(reqs) - warmup
	}
	perRequest := 0
	if len(shards) > 0 {
		perRequest = countSeries(shards)
	}
	res.Rejected = rejected
	res.Samples = (requests - res.Rejected) * perRequest
	res.Seconds = elapsed.Seconds()
	res.SamplesPerSecond = float64(res.Samples) / res.Seconds
	res.CPUSecondsPerMillionSamples = (cpuAfter - cpuBefore).Seconds() / float64(res.Samples) * 1e6
	fmt.Fprintf(progress, "%s: %d samples in %.2fs = %.0f samples/s, %.3f CPU-s per million, %d requests rejected\n",
		name, res.Samples, res.Seconds, res.SamplesPerSecond, res.CPUSecondsPerMillionSamples, res.Rejected)
	if res.Rejected > 0 {
		return res, fmt.Errorf("%s rejected %d requests; the measurement is void", name, res.Rejected)
	}
	return res, nil
}

// countSeries returns the number of samples per request, which is the
// number of series per shard (one sample each).
func countSeries(shards [][][]byte) int {
	raw, err := snappy.Decode(nil, shards[0][0])
	if err != nil {
		return 0
	}
	n := 0
	for len(raw) > 0 {
		_, _, l := protowire.ConsumeField(raw)
		if l < 0 {
			break
		}
		raw = raw[l:]
		n++
	}
	return n
}

func post(ctx context.Context, c *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("timed out")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// processCPU reads a process's user+system CPU time from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read process CPU time: %w", err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	const clockTicks = 100 // USER_HZ on Linux.
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
