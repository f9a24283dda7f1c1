package main

import (
	"bufio"
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
	"syscall"
	"time"
)

// Bounds of starting and stopping processes.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// proc is a running child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File      // its standard error, or nil
}

// group is every process the benchmark started; stopAll ends them.
type group struct {
	mu    sync.Mutex
	procs []*proc
}

// start runs cmd as name and adds it to the group. logPath, when not empty,
// receives the process's standard error.
func (g *group) start(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, fmt.Errorf("log of %s: %w", name, err)
		}
		p.log = f
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		p.closeLog()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		p.closeLog()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) closeLog() {
	if p.log != nil {
		_ = p.log.Close()
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end with SIGTERM and kills it if it has not
// within stopTimeout.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		fmt.Fprintf(os.Stderr, "bench: %s did not stop; killing it\n", p.name)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stopAll stops every process of the group, the last started first.
func (g *group) stopAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.procs) - 1; i >= 0; i-- {
		g.procs[i].stop()
	}
	g.procs = nil
}

// startSelf runs this binary again with args, in a role that prints the URL
// it serves as its first line of output, and returns that URL. The child's
// standard input stays open while this process lives, so that the child
// also ends if this process dies without stopping it.
func (g *group) startSelf(ctx context.Context, dir, name string, args ...string) (
	*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("find own binary: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", fmt.Errorf("pipe for %s: %w", name, err)
	}
	defer r.Close()
	cmd := exec.Command(self, args...)
	cmd.Stdout = w
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, "", fmt.Errorf("stdin of %s: %w", name, err)
	}
	p, err := g.start(name, cmd, filepath.Join(dir, name+".log"))
	w.Close()
	if err != nil {
		return nil, "", err
	}
	url, err := p.firstLine(ctx, r)
	return p, url, err
}

// firstLine reads the URL a child prints when it is ready.
func (p *proc) firstLine(ctx context.Context, r *os.File) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, "http://127.0.0.1:") {
			return "", fmt.Errorf("%s did not start (see its log)", p.name)
		}
		return s, nil
	case <-time.After(startTimeout):
		return "", fmt.Errorf("%s did not start within %s", p.name, startTimeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// serveRole serves h on a free loopback port, prints its URL and serves
// until ctx ends or standard input closes (the parent is gone).
func serveRole(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Println("http://" + ln.Addr().String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // open MCP streams of clients that did not close them
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime returns the processor time, user and system, that process pid
// has used so far. It reads /proc and reports false where there is none.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name in parentheses may hold spaces; fields follow it.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// pid returns the process id, for cpuTime.
func (p *proc) pid() int { return p.cmd.Process.Pid }
