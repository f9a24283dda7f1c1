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

// The goal Switchboard on SQLite is held to, relative to the bare server.
// Replicas have none: on a machine of two CPUs, which the load generator,
// the upstream and PostgreSQL share with them, they cannot scale.
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

	comparisons []comparison
}

// switchboardInfo says how Switchboard ran. The log sizes are summed over
// its processes.
type switchboardInfo struct {
	Store    string `json:"store"`            // SQLite or PostgreSQL
	Schema   string `json:"schema,omitempty"` // PostgreSQL's, dropped at the end
	Logging  string `json:"logging"`
	LogBytes int64  `json:"logBytes"`
	LogLines int    `json:"logLines"`
}

// comparison names a target to compare with a baseline at every
// concurrency, and whether the goal applies.
type comparison struct {
	target, baseline string
	goal             bool
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

// ratio compares a target with its baseline at one concurrency (Switchboard
// with the bare server, or two replicas with one): the ratios of the
// medians, and the throughput ratio within each round, whose two runs were
// neighbours in time. GoalMet is absent where no goal applies.
type ratio struct {
	Target          string    `json:"target"`
	Baseline        string    `json:"baseline"`
	Sessions        int       `json:"sessions"`
	Throughput      float64   `json:"throughput"`
	P99             float64   `json:"p99"`
	CPU             float64   `json:"cpuPerCall"`
	GoalMet         *bool     `json:"goalMet,omitempty"`
	RoundThroughput []float64 `json:"roundThroughput"`
}

// newReport starts the report of a run with o: of the bare server and
// Switchboard on SQLite, or, with a database URL, of one and two replicas.
func newReport(o options) *report {
	rep := &report{
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), Command: os.Args, Protocol: o.protocol,
		Warmup: o.warmup.String(), Duration: o.duration.String(), Rounds: o.rounds,
		Switchboard: switchboardInfo{Store: "SQLite",
			Logging: "text at level info (its default) to a file"},
		comparisons: []comparison{{target: "switchboard", baseline: "bare", goal: true}},
	}
	if o.databaseURL != "" {
		rep.Switchboard.Store = "PostgreSQL"
		rep.comparisons = []comparison{{target: twoReplicas, baseline: oneReplica}}
	}
	return rep
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

// finish computes medians, spreads and ratios once every run is in, and
// adds up the logs of Switchboard's processes.
func (rep *report) finish(servers ...*switchboardServer) {
	for _, sb := range servers {
		size, lines := sb.logSize()
		rep.Switchboard.LogBytes += size
		rep.Switchboard.LogLines += lines
	}
	for _, res := range rep.Results {
		res.summarize()
	}
	for _, c := range rep.comparisons {
		for _, t := range rep.Results {
			if t.Target != c.target {
				continue
			}
			for _, base := range rep.Results {
				if base.Target == c.baseline && base.Sessions == t.Sessions {
					rep.Ratios = append(rep.Ratios, compare(t, base, c.goal))
				}
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

// compare returns the ratio of t to base, judged against the goal when
// goal is set.
func compare(t, base *result, goal bool) ratio {
	r := ratio{Target: t.Target, Baseline: base.Target, Sessions: t.Sessions}
	if base.CallsPerSec > 0 {
		r.Throughput = t.CallsPerSec / base.CallsPerSec
	}
	if base.P99Ms > 0 {
		r.P99 = t.P99Ms / base.P99Ms
	}
	if base.CPUUs > 0 {
		r.CPU = t.CPUUs / base.CPUUs
	}
	if goal {
		met := r.Throughput >= goalThroughput && r.P99 > 0 && r.P99 <= goalP99
		r.GoalMet = &met
	}
	for i := range min(len(t.Runs), len(base.Runs)) {
		if b := base.Runs[i].PerSec; b > 0 {
			r.RoundThroughput = append(r.RoundThroughput, t.Runs[i].PerSec/b)
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
	store := rep.Switchboard.Store + " store"
	if rep.Switchboard.Schema != "" {
		store += " (schema " + rep.Switchboard.Schema + ", dropped at the end)"
	}
	fmt.Fprintf(b, "switchboard: %s, logging %s (%d lines, %d bytes)\n",
		store, rep.Switchboard.Logging, rep.Switchboard.LogLines, rep.Switchboard.LogBytes)
	if rep.Switchboard.Store == "PostgreSQL" {
		fmt.Fprintf(b, "%s: one replica; %s: two, the sessions spread round robin "+
			"(the second idles in %s runs)\n", oneReplica, twoReplicas, oneReplica)
	}
	b.WriteString("\n")
}

func (rep *report) ratioLine(b *strings.Builder, sessions int) {
	for _, r := range rep.Ratios {
		if r.Sessions != sessions {
			continue
		}
		fmt.Fprintf(b, "  %s/%s: throughput %.2fx, p99 %.2fx", r.Target, r.Baseline,
			r.Throughput, r.P99)
		if r.GoalMet != nil {
			verdict := "met"
			if !*r.GoalMet {
				verdict = "NOT met"
			}
			fmt.Fprintf(b, " (goal: >= %.1fx, <= %.1fx): %s", goalThroughput, goalP99, verdict)
		}
		b.WriteString("\n")
		b.WriteString("  throughput ratio within each round:")
		for _, x := range r.RoundThroughput {
			fmt.Fprintf(b, " %.2fx", x)
		}
		fmt.Fprintf(b, "; server cpu/call %.2fx\n\n", r.CPU)
	}
}

func (rep *report) footer(b *strings.Builder) {
	b.WriteString("cpu/call: processor time (user+system, from /proc) the server used " +
		"per call,\nsummed over its processes; " +
		"load cpu: the same for this load generator, on the same CPUs\n")
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
