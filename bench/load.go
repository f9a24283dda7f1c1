package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Bounds of the load generator.
const (
	callTimeout    = 30 * time.Second
	connectTimeout = 30 * time.Second
	probeTimeout   = 15 * time.Second
	// maxErrors stops a session that keeps failing, so that a broken
	// target does not spin until the end of the run.
	maxErrors = 100
)

// arguments are the tool arguments of every call.
var arguments = map[string]any{"channel": "C1", "text": "hello"}

// target is an MCP server to load: one process, or several replicas that
// share the sessions round robin.
type target struct {
	Name string   `json:"name"`
	URLs []string `json:"urls"` // MCP endpoints; session i goes to URLs[i%len(URLs)]
	Tool string   `json:"tool"`
	Key  string   `json:"-"` // bearer key
	PIDs []int    `json:"-"` // the server's processes, whose processor time is measured
}

// sample is one measurement of one target at one concurrency.
type sample struct {
	Calls      int           `json:"calls"`
	Errors     int           `json:"errors"`
	FirstError string        `json:"firstError,omitempty"`
	Elapsed    time.Duration `json:"elapsedNs"`
	PerSec     float64       `json:"callsPerSec"`
	P50        time.Duration `json:"p50Ns"`
	P99        time.Duration `json:"p99Ns"`
	// CPU is the processor time the server's processes used together per
	// successful call, and LoadCPU that of this process; zero where /proc
	// is missing.
	CPU     time.Duration `json:"cpuPerCallNs"`
	LoadCPU time.Duration `json:"loadCpuPerCallNs"`
}

// measureRounds runs every target at every concurrency, round after round,
// the targets alternating, and adds each run to rep.
func measureRounds(ctx context.Context, o options, targets []target, rep *report) error {
	for round := 1; round <= o.rounds; round++ {
		for _, n := range o.sessions {
			for _, t := range targets {
				r, err := measure(ctx, t, n, o)
				if err != nil {
					return fmt.Errorf("%s with %d sessions: %w", t.Name, n, err)
				}
				rep.add(t, n, r)
				fmt.Fprintf(os.Stderr, "round %d/%d  %2d sessions  %-11s  %s\n",
					round, o.rounds, n, t.Name, r)
			}
		}
	}
	return nil
}

func (r sample) String() string {
	s := fmt.Sprintf("%6.0f calls/s  p50 %s  p99 %s  cpu/call %s  errors %d",
		r.PerSec, ms(r.P50), ms(r.P99), us(r.CPU), r.Errors)
	if r.FirstError != "" {
		s += "  first: " + r.FirstError
	}
	return s
}

// measure opens n sessions to t, has each call the tool in a loop through
// the warm-up and the measured duration, and closes them.
func measure(ctx context.Context, t target, n int, o options) (sample, error) {
	client := newHTTPClient(t.Key, n)
	defer client.CloseIdleConnections()
	sessions, err := connectAll(ctx, client, t, n, o.protocol)
	defer func() {
		for _, cs := range sessions {
			_ = cs.Close()
		}
	}()
	if err != nil {
		return sample{}, err
	}
	runtime.GC() // garbage of the previous run is not this run's cost

	start := time.Now().Add(o.warmup)
	end := start.Add(o.duration)
	results := make([]sessionResult, n)
	meter := startMeter(start, append(slices.Clone(t.PIDs), os.Getpid())...)
	var wg sync.WaitGroup
	for i, cs := range sessions {
		wg.Go(func() { results[i] = loop(ctx, cs, t.Tool, start, end) })
	}
	wg.Wait()
	used, metered := meter.stop()
	if err := ctx.Err(); err != nil {
		return sample{}, err
	}
	r := summarize(results, start)
	if metered && r.Calls > 0 {
		var server time.Duration
		for _, d := range used[:len(t.PIDs)] {
			server += d
		}
		r.CPU = server / time.Duration(r.Calls)
		r.LoadCPU = used[len(t.PIDs)] / time.Duration(r.Calls)
	}
	return r, nil
}

// meter measures the processor time of processes from a moment on.
type meter struct {
	pids  []int
	timer *time.Timer
	start chan []time.Duration // what they had used at the start
}

// startMeter starts measuring pids at the time at.
func startMeter(at time.Time, pids ...int) *meter {
	m := &meter{pids: pids, start: make(chan []time.Duration, 1)}
	m.timer = time.AfterFunc(time.Until(at), func() { m.start <- m.read() })
	return m
}

func (m *meter) read() []time.Duration {
	out := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		out[i], _ = cpuTime(pid)
	}
	return out
}

// stop returns what each process used since the start, or false when the
// start was not reached or /proc is missing.
func (m *meter) stop() ([]time.Duration, bool) {
	if m.timer.Stop() {
		return nil, false // the start never came
	}
	before := <-m.start
	after := m.read()
	for i := range after {
		if after[i] == 0 {
			return nil, false
		}
		after[i] -= before[i]
	}
	return after, true
}

// newHTTPClient returns a client whose pool keeps a connection for every
// session's calls and streams, so that connections are reused and never
// churn. It adds the bearer key to every request.
func newHTTPClient(key string, sessions int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only
		MaxIdleConns:        4*sessions + 8,
		MaxIdleConnsPerHost: 4*sessions + 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: bearer{key: key, base: tr}}
}

// bearer adds a bearer key to every request.
type bearer struct {
	key  string
	base *http.Transport
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

func (b bearer) CloseIdleConnections() { b.base.CloseIdleConnections() }

// connect opens one MCP session to endpoint, one of t's, and checks the
// negotiated protocol version.
func connect(ctx context.Context, client *http.Client, t target, endpoint, protocol string) (
	*mcpsdk.ClientSession, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c := mcpsdk.NewClient(&mcpsdk.Implementation{Name: "switchboard-bench", Version: "1"}, nil)
	tr := &mcpsdk.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client}
	cs, err := c.Connect(ctx, tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if got := cs.InitializeResult().ProtocolVersion; got != protocol {
		_ = cs.Close()
		return nil, fmt.Errorf("asked for protocol %s, %s negotiated %s", protocol, endpoint, got)
	}
	return cs, nil
}

// connectAll opens n sessions, spread round robin over t's endpoints.
func connectAll(ctx context.Context, client *http.Client, t target, n int, protocol string) (
	[]*mcpsdk.ClientSession, error) {
	var sessions []*mcpsdk.ClientSession
	for i := range n {
		cs, err := connect(ctx, client, t, t.URLs[i%len(t.URLs)], protocol)
		if err != nil {
			return sessions, err
		}
		sessions = append(sessions, cs)
	}
	return sessions, nil
}

// probe calls t's tool through each of its endpoints until a call
// succeeds: a freshly configured Switchboard, or a replica that learns of
// the change from the database, may take a moment to list its new tools.
func probe(ctx context.Context, t target, protocol string) error {
	for _, endpoint := range t.URLs {
		if err := probeOne(ctx, t, endpoint, protocol); err != nil {
			return fmt.Errorf("%s: %w", endpoint, err)
		}
	}
	return nil
}

func probeOne(ctx context.Context, t target, endpoint, protocol string) error {
	client := newHTTPClient(t.Key, 1)
	defer client.CloseIdleConnections()
	cs, err := connect(ctx, client, t, endpoint, protocol)
	if err != nil {
		return err
	}
	defer cs.Close()
	deadline := time.Now().Add(probeTimeout)
	for {
		err = call(ctx, cs, t.Tool)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sessionResult is what one session saw.
type sessionResult struct {
	latencies  []time.Duration // of the successful calls after start
	errors     int
	firstError error
	lastEnd    time.Time
}

// loop calls tool until end, timing the calls that start after start.
func loop(ctx context.Context, cs *mcpsdk.ClientSession, tool string, start, end time.Time) (
	res sessionResult) {
	for res.errors < maxErrors && ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		err := call(ctx, cs, tool)
		t1 := time.Now()
		if err != nil {
			res.errors++ // failures of the warm-up count too
			if res.firstError == nil {
				res.firstError = err
			}
			continue
		}
		if t0.Before(start) {
			continue
		}
		res.latencies = append(res.latencies, t1.Sub(t0))
		res.lastEnd = t1
	}
	return res
}

// call calls tool once and checks that the upstream's answer came back.
func call(ctx context.Context, cs *mcpsdk.ClientSession, tool string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcpsdk.CallToolParams{Name: tool, Arguments: arguments})
	if err != nil {
		return err
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcpsdk.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	switch {
	case res.IsError:
		return fmt.Errorf("tool error: %s", clip(text.String()))
	case text.Len() == 0:
		return errors.New("empty result")
	case !strings.Contains(text.String(), `"ok":true`):
		return fmt.Errorf("unexpected result: %s", clip(text.String()))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// summarize merges the sessions' results into a sample measured from start.
func summarize(results []sessionResult, start time.Time) sample {
	var r sample
	var all []time.Duration
	last := start
	for _, s := range results {
		all = append(all, s.latencies...)
		r.Errors += s.errors
		if s.firstError != nil && r.FirstError == "" {
			r.FirstError = clip(s.firstError.Error())
		}
		if s.lastEnd.After(last) {
			last = s.lastEnd
		}
	}
	slices.Sort(all)
	r.Calls = len(all)
	r.Elapsed = last.Sub(start)
	if r.Elapsed > 0 {
		r.PerSec = float64(r.Calls) / r.Elapsed.Seconds()
	}
	r.P50 = percentile(all, 50)
	r.P99 = percentile(all, 99)
	return r
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100 // ceil(n*p/100), 1-based
	return sorted[max(i, 1)-1]
}
