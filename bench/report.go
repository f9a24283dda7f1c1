package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The goal Switchboard is held to, relative to the bare server.
const (
	goalThroughput = 0.8 // at least this share of the bare calls per second
	goalP99        = 1.5 // at most this multiple of the bare p99
)

// report is the outcome of a benchmark, printed as a table or as JSON.
type report struct {
	GoVersion   string          `json:"goVersion"`
	GOMAXPROCS  int             `json:"gomaxprocs"`
	NumCPU      int             `json:"numCPU"`
	Command     []string        `json:"command"`
	Protocol    string          `json:"protocol"`
	Warmup      string          `json:"warmup"`
	Duration    string          `json:"duration"`
	Rounds      int             `json:"rounds"`
	Switchboard switchboardInfo `json:"switchboard"`
	Results     []*result       `json:"results"`
	Ratios      []ratio         `json:"ratios"`
	Errors      int             `json:"errors"`
}

// switchboardInfo says how Switchboard ran.
type switchboardInfo struct {
	Logging  string `json:"logging"`
	LogBytes int64  `json:"logBytes"`
	LogLines int    `json:"logLines"`
}

// result is one target at one concurrency over every round: medians and
// spreads of the rounds.
type result struct {
	Target         string   `json:"target"`
	Sessions       int      `json:"sessions"`
	CallsPerSec    float64  `json:"callsPerSec"`
	MinCallsPerSec float64  `json:"minCallsPerSec"`
	MaxCallsPerSec float64  `json:"maxCallsPerSec"`
	P50Ms          float64  `json:"p50Ms"`
	P99Ms          float64  `json:"p99Ms"`
	MinP99Ms       float64  `json:"minP99Ms"`
	MaxP99Ms       float64  `json:"maxP99Ms"`
	CPUUs          float64  `json:"cpuPerCallUs"`
	LoadCPUUs      float64  `json:"loadCpuPerCallUs"`
	Errors         int      `json:"errors"`
	FirstError     string   `json:"firstError,omitempty"`
	Runs           []sample `json:"runs"`
}

// ratio compares Switchboard with the bare server at one concurrency: the
// ratios of the medians, and the throughput ratio within each round, whose
// two runs were neighbours in time.
type ratio struct {
	Sessions        int       `json:"sessions"`
	Throughput      float64   `json:"throughput"`
	P99             float64   `json:"p99"`
	CPU             float64   `json:"cpuPerCall"`
	GoalMet         bool      `json:"goalMet"`
	RoundThroughput []float64 `json:"roundThroughput"`
}

func newReport(o options) *report {
	return &report{
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), Command: os.Args, Protocol: o.protocol,
		Warmup: o.warmup.String(), Duration: o.duration.String(), Rounds: o.rounds,
		Switchboard: switchboardInfo{Logging: "text at level info (its default) to a file"},
	}
}

// add records one run.
func (rep *report) add(t target, sessions int, r sample) {
	i := slices.IndexFunc(rep.Results, func(x *result) bool {
		return x.Target == t.Name && x.Sessions == sessions
	})
	if i < 0 {
		rep.Results = append(rep.Results, &result{Target: t.Name, Sessions: sessions})
		i = len(rep.Results) - 1
	}
	res := rep.Results[i]
	res.Runs = append(res.Runs, r)
	res.Errors += r.Errors
	if res.FirstError == "" {
		res.FirstError = r.FirstError
	}
	rep.Errors += r.Errors
}

// finish computes medians, spreads and ratios once every run is in.
func (rep *report) finish(sb *switchboardServer) {
	rep.Switchboard.LogBytes, rep.Switchboard.LogLines = sb.logSize()
	for _, res := range rep.Results {
		res.summarize()
	}
	for _, s := range rep.Results {
		if s.Target != "switchboard" {
			continue
		}
		for _, bare := range rep.Results {
			if bare.Target == "bare" && bare.Sessions == s.Sessions {
				rep.Ratios = append(rep.Ratios, compare(s, bare))
			}
		}
	}
}

func (res *result) summarize() {
	var perSec, p50, p99, cpu, loadCPU []float64
	for _, r := range res.Runs {
		perSec = append(perSec, r.PerSec)
		p50 = append(p50, msFloat(r.P50))
		p99 = append(p99, msFloat(r.P99))
		cpu = append(cpu, usFloat(r.CPU))
		loadCPU = append(loadCPU, usFloat(r.LoadCPU))
	}
	res.CallsPerSec, res.MinCallsPerSec, res.MaxCallsPerSec = stats(perSec)
	res.P50Ms, _, _ = stats(p50)
	res.P99Ms, res.MinP99Ms, res.MaxP99Ms = stats(p99)
	res.CPUUs, _, _ = stats(cpu)
	res.LoadCPUUs, _, _ = stats(loadCPU)
}

func compare(sb, bare *result) ratio {
	r := ratio{Sessions: sb.Sessions}
	if bare.CallsPerSec > 0 {
		r.Throughput = sb.CallsPerSec / bare.CallsPerSec
	}
	if bare.P99Ms > 0 {
		r.P99 = sb.P99Ms / bare.P99Ms
	}
	if bare.CPUUs > 0 {
		r.CPU = sb.CPUUs / bare.CPUUs
	}
	r.GoalMet = r.Throughput >= goalThroughput && r.P99 > 0 && r.P99 <= goalP99
	for i := range min(len(sb.Runs), len(bare.Runs)) {
		if b := bare.Runs[i].PerSec; b > 0 {
			r.RoundThroughput = append(r.RoundThroughput, sb.Runs[i].PerSec/b)
		}
	}
	return r
}

// stats returns the median, minimum and maximum of xs.
func stats(xs []float64) (median, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

func msFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", msFloat(d)) }

func usFloat(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func us(d time.Duration) string { return fmt.Sprintf("%.0fus", usFloat(d)) }

// print writes the report as a table, or as JSON.
func (rep *report) print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	var b strings.Builder
	rep.header(&b)
	const row = "%-8s %-11s %7s %-11s %7s %7s %-13s %8s %8s %6s\n"
	fmt.Fprintf(&b, row, "sessions", "target", "calls/s", "(min-max)", "p50", "p99",
		"(min-max)", "cpu/call", "load cpu", "errors")
	for _, n := range rep.sessions() {
		for _, res := range rep.Results {
			if res.Sessions != n {
				continue
			}
			fmt.Fprintf(&b, row, fmt.Sprint(n), res.Target, fmt.Sprintf("%.0f", res.CallsPerSec),
				fmt.Sprintf("(%.0f-%.0f)", res.MinCallsPerSec, res.MaxCallsPerSec),
				fmt.Sprintf("%.2fms", res.P50Ms), fmt.Sprintf("%.2fms", res.P99Ms),
				fmt.Sprintf("(%.1f-%.1f)", res.MinP99Ms, res.MaxP99Ms),
				fmt.Sprintf("%.0fus", res.CPUUs), fmt.Sprintf("%.0fus", res.LoadCPUUs),
				fmt.Sprint(res.Errors))
		}
		rep.ratioLine(&b, n)
	}
	rep.footer(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep *report) header(b *strings.Builder) {
	fmt.Fprintf(b, "%s  GOMAXPROCS=%d  CPUs=%d  %s/%s\n", rep.GoVersion, rep.GOMAXPROCS,
		rep.NumCPU, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(b, "command: %s\n", strings.Join(rep.Command, " "))
	fmt.Fprintf(b, "load: go-sdk client, streamable HTTP, protocol %s; warm-up %s, "+
		"%s measured per run; median of %d round(s), spread min-max\n",
		rep.Protocol, rep.Warmup, rep.Duration, rep.Rounds)
	fmt.Fprintf(b, "switchboard: SQLite store, logging %s (%d lines, %d bytes)\n\n",
		rep.Switchboard.Logging, rep.Switchboard.LogLines, rep.Switchboard.LogBytes)
}

func (rep *report) ratioLine(b *strings.Builder, sessions int) {
	for _, r := range rep.Ratios {
		if r.Sessions != sessions {
			continue
		}
		verdict := "met"
		if !r.GoalMet {
			verdict = "NOT met"
		}
		fmt.Fprintf(b, "  switchboard/bare: throughput %.2fx, p99 %.2fx "+
			"(goal: >= %.1fx, <= %.1fx): %s\n", r.Throughput, r.P99,
			goalThroughput, goalP99, verdict)
		b.WriteString("  throughput ratio within each round:")
		for _, x := range r.RoundThroughput {
			fmt.Fprintf(b, " %.2fx", x)
		}
		fmt.Fprintf(b, "; server cpu/call %.2fx\n\n", r.CPU)
	}
}

func (rep *report) footer(b *strings.Builder) {
	b.WriteString("cpu/call: processor time (user+system, from /proc) the server used " +
		"per call;\nload cpu: the same for this load generator, on the same CPUs\n")
	if rep.Errors == 0 {
		b.WriteString("every call succeeded\n")
		return
	}
	fmt.Fprintf(b, "RUN HAS ERRORS: %d calls failed; the numbers above are not valid\n",
		rep.Errors)
	for _, res := range rep.Results {
		if res.FirstError != "" {
			fmt.Fprintf(b, "  %s, %d sessions: %s\n", res.Target, res.Sessions, res.FirstError)
		}
	}
}

// sessions returns the concurrencies measured, in order.
func (rep *report) sessions() []int {
	var out []int
	for _, res := range rep.Results {
		if !slices.Contains(out, res.Sessions) {
			out = append(out, res.Sessions)
		}
	}
	return out
}
