package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// runSpec is one screen process on one pty.
type runSpec struct {
	bin, config, env, verb string
	cols, rows             int
	answer                 bool          // play a terminal that answers queries
	window                 time.Duration // 0: stop at the first paint
	paintTimeout           time.Duration
	marker, ignore         *regexp.Regexp
	proxy                  *countingProxy
	verbose                bool   // say what text the marker matched
	logFile                string // the screen's --log-file, "" for none
	dump                   io.Writer
}

// result is what one run measured. A zero firstPaint means none came.
type result struct {
	firstPaint  time.Duration
	bytesPerSec float64 // read from the pty master after the first paint
	cpuPct      float64 // utime+stime over the window, % of one core
	reqPerSec   float64 // requests at the counting proxy over the window
	peakRSSKiB  int64   // VmHWM at the window's end
}

// screenRun is a started screen and what its reader has seen.
type screenRun struct {
	cmd     *exec.Cmd
	ptmx    *os.File
	painted chan time.Time
	exited  chan struct{}
	after   atomic.Int64 // bytes read after the first paint
	tail    atomic.Value // the last text seen, for an error
	match   string       // the text the marker matched, set before painted is sent
}

// measure runs the screen once: exec → first paint, then, for a window,
// bytes, CPU, requests and peak RSS.
func measure(s runSpec) (result, error) {
	args := []string{s.verb, "--config", s.config, "--env", s.env}
	if s.logFile != "" {
		args = append(args, "--log-file", s.logFile)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	start := time.Now()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: uint16(s.rows), Cols: uint16(s.cols)})
	if err != nil {
		return result{}, fmt.Errorf("starting %s on a pty: %w", s.verb, err)
	}
	r := &screenRun{cmd: cmd, ptmx: ptmx, painted: make(chan time.Time, 1), exited: make(chan struct{})}
	go r.read(s)
	go func() { _ = cmd.Wait(); close(r.exited) }()
	defer r.stop()
	var res result
	select {
	case at := <-r.painted:
		res.firstPaint = at.Sub(start)
		if s.verbose {
			fmt.Fprintf(os.Stderr, "benchpty: %s painted after %s: %q\n", s.verb, res.firstPaint, r.match)
		}
	case <-r.exited:
		return res, fmt.Errorf("%s exited before its first paint; its screen said: %q", s.verb, r.lastText())
	case <-time.After(s.paintTimeout):
		return res, fmt.Errorf("%s: no value on the screen within %s (marker %s); its screen said: %q", s.verb, s.paintTimeout, s.marker, r.lastText())
	}
	if s.window == 0 {
		return res, nil
	}
	return r.window(s, res)
}

// window measures the steady state after the first paint.
func (r *screenRun) window(s runSpec, res result) (result, error) {
	pid := r.cmd.Process.Pid
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return res, err
	}
	req0, b0, t0 := s.proxy.count.Load(), r.after.Load(), time.Now()
	select {
	case <-time.After(s.window):
	case <-r.exited:
		return res, fmt.Errorf("%s exited during the window; its screen said: %q", s.verb, r.lastText())
	}
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return res, err
	}
	secs := time.Since(t0).Seconds()
	res.bytesPerSec = float64(r.after.Load()-b0) / secs
	res.reqPerSec = float64(s.proxy.count.Load()-req0) / secs
	res.cpuPct = 100 * float64(cpu1-cpu0) / clockTicks / secs
	res.peakRSSKiB, err = peakRSS(pid)
	return res, err
}

// read drains the pty master, answering queries when asked to, and marks
// the first chunk that completes the value marker.
func (r *screenRun) read(s runSpec) {
	t := &termReader{rows: s.rows, marker: s.marker, ignore: s.ignore}
	if s.answer {
		t.answer = r.ptmx
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := r.ptmx.Read(buf)
		if s.dump != nil {
			fmt.Fprintf(s.dump, "\n@@ %d bytes, painted %v\n", n, t.found)
			_, _ = s.dump.Write(buf[:n])
		}
		before := t.found
		t.feed(buf[:n]) // queries are answered after the first paint too
		if before {
			r.after.Add(int64(n))
		} else if t.found {
			r.match = t.match
			r.painted <- time.Now()
		}
		r.tail.Store(string(t.text))
		if err != nil {
			return
		}
	}
}

func (r *screenRun) lastText() string {
	s, _ := r.tail.Load().(string)
	return strings.Join(strings.Fields(s), " ")
}

// stop ends the screen as an operator's terminal would (SIGTERM), and
// kills it when it does not go.
func (r *screenRun) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	_ = r.ptmx.Close()
}

// clockTicks is USER_HZ, what /proc/PID/stat counts CPU time in (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// cpuTicks is utime+stime of pid (/proc/PID/stat fields 14 and 15).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the screen's CPU time: %w", err)
	}
	// The command name may hold spaces: fields count from after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("reading the screen's CPU time: /proc stat too short")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("reading the screen's CPU time: %w", err)
	}
	return ut + st, nil
}

// peakRSS is VmHWM of pid in KiB.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the screen's peak RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading the screen's peak RSS: %w", err)
			}
			return kib, nil
		}
	}
	return 0, errors.New("reading the screen's peak RSS: no VmHWM in /proc status")
}
