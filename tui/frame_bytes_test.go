package tui

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// byteCounter is the terminal: it counts what the program writes and marks
// where the first write holding a text ended.
type byteCounter struct {
	mu     sync.Mutex
	n      int
	marker []byte
	mark   int // bytes written up to and including the first write with marker; -1 before
	seen   chan struct{}
}

func newByteCounter(marker string) *byteCounter {
	return &byteCounter{marker: []byte(marker), mark: -1, seen: make(chan struct{})}
}

func (c *byteCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += len(p)
	if c.mark < 0 && bytes.Contains(p, c.marker) {
		c.mark = c.n
		close(c.seen)
	}
	return len(p), nil
}

// afterMark is what was written after the marked write.
func (c *byteCounter) afterMark() (first, after int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mark, c.n - c.mark
}

// roundWatch is the screen's model that tells the test each round it took.
type roundWatch struct {
	*Model
	rounds chan struct{}
}

func (w roundWatch) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := w.Model.Update(msg)
	if _, ok := msg.(StateMsg); ok {
		w.rounds <- struct{}{}
	}
	return w, cmd
}

// shifted is s one round later with the same values: every time in it
// moved by d, so every age stays what it was.
func shifted(s runbook.State, d time.Duration) runbook.State {
	move := func(r *checks.Result) {
		if !r.ObservedAt.IsZero() {
			r.ObservedAt = r.ObservedAt.Add(d)
		}
	}
	s.At = s.At.Add(d)
	for _, r := range []*checks.Result{&s.Observed.RustWriteMode, &s.Observed.LegacyFreeze, &s.Observed.WriteTarget,
		&s.Parity.Result, &s.Checkpoints} {
		move(r)
	}
	s.Health = append([]checks.Result(nil), s.Health...)
	for i := range s.Health {
		move(&s.Health[i])
	}
	samples := make(map[string]metrics.Sample, len(s.Snapshot.Samples))
	for k, v := range s.Snapshot.Samples {
		v.At = v.At.Add(d)
		if !v.DataAt.IsZero() {
			v.DataAt = v.DataAt.Add(d)
		}
		hist := make([]metrics.Point, len(v.History))
		for i, p := range v.History {
			hist[i] = metrics.Point{T: p.T.Add(d), V: p.V}
		}
		v.History = hist
		samples[k] = v
	}
	s.Snapshot.Samples = samples
	s.Snapshot.At = s.Snapshot.At.Add(d)
	return s
}

// frameBytes runs the real program (Bubble Tea v2's renderer, 16 colours,
// xterm-256color) at w×h on a byte counter: the first frame with the
// round's values, then, if next is set, the round next makes one second
// later. It returns the bytes up to the first frame and those written
// after it, the program's exit sequences included.
func frameBytes(tb testing.TB, w, h int, next func(runbook.State) runbook.State) (first, after int) {
	tb.Helper()
	s0 := healthyState()
	obs := &fakeObserver{state: s0}
	now := atomic.Pointer[time.Time]{}
	now.Store(&clock)
	m := newFixedModel(tb, Options{Mode: Watch, Observer: obs}, s0)
	m.c.now = func() time.Time { return *now.Load() }
	m.c.styles = NewStyles(colorprofile.ANSI, true)
	m.help = newHelp(m.c.styles)
	out := newByteCounter("rust_active")
	rounds := make(chan struct{}, 4)
	p := tea.NewProgram(roundWatch{m, rounds}, tea.WithInput(nil), tea.WithOutput(out), tea.WithWindowSize(w, h),
		tea.WithColorProfile(colorprofile.ANSI), tea.WithEnvironment([]string{"TERM=xterm-256color"}),
		tea.WithoutSignalHandler(), tea.WithContext(context.Background()))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	waitSignal(tb, out.seen, "the first frame with values")
	if next != nil {
		later := clock.Add(time.Second)
		obs.mu.Lock()
		obs.state = next(s0)
		obs.mu.Unlock()
		now.Store(&later)
		for len(rounds) > 0 {
			<-rounds
		}
		p.Send(keyFor(m.keys.Refresh))
		waitSignal(tb, rounds, "the next round")
	}
	p.Quit()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	return out.afterMark()
}

func waitSignal[T any](tb testing.TB, ch <-chan T, what string) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s never came", what)
	}
}

// BenchmarkSteadyFrameBytes is what the screen sends the terminal for a
// round that changes nothing (docs/design.md §9: at most grafterm's 220 bytes/s at
// 160×48 and 52 at 80×24; one round a second, so bytes/frame is bytes/s).
// "fresh" is a new round with the same values and data as fresh as before:
// nothing on screen changes. "aging" is a round whose data did not move:
// every age on screen is a second older, the most a quiet second changes.
// The exit sequences are measured alone and taken off.
func BenchmarkSteadyFrameBytes(b *testing.B) {
	for _, size := range [][2]int{{160, 48}, {80, 24}} {
		for _, sc := range []struct {
			name string
			next func(runbook.State) runbook.State
		}{
			{"fresh", func(s runbook.State) runbook.State { return shifted(s, time.Second) }},
			{"aging", func(s runbook.State) runbook.State { return s }},
		} {
			b.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], sc.name), func(b *testing.B) {
				var first, steady int
				for b.Loop() {
					_, exit := frameBytes(b, size[0], size[1], nil)
					f, after := frameBytes(b, size[0], size[1], sc.next)
					first, steady = f, after-exit
				}
				b.ReportMetric(float64(steady), "bytes/frame")
				b.ReportMetric(float64(first), "first-frame-bytes")
			})
		}
	}
}

// movingObserver is a world whose values hold still while time goes on:
// each round is the healthy fixture moved to now, so every age stays 2 s.
type movingObserver struct{ base runbook.State }

func (o movingObserver) Observe(context.Context) runbook.State {
	return shifted(o.base, time.Since(clock))
}

// BenchmarkSteadyScreenCPU is the screen's own CPU while watching a steady
// world at one round a second, 160×48, through the real program (its frame
// rate included) on a byte counter (docs/design.md §9: the whole watch ≤ 0.5% of a
// core). The measure is CPU over wall time, so it lets max(b.N, 5) seconds
// pass, and reports the CPU share, bytes per second and the first frame.
func BenchmarkSteadyScreenCPU(b *testing.B) {
	o := Options{Mode: Watch, Observer: movingObserver{healthyState()}, Signals: testSignals(), Refresh: time.Second,
		Profile: colorprofile.ANSI}
	m, err := New(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	out := newByteCounter("rust_active")
	p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(out), tea.WithWindowSize(160, 48),
		tea.WithColorProfile(colorprofile.ANSI), tea.WithEnvironment([]string{"TERM=xterm-256color"}),
		tea.WithoutSignalHandler(), tea.WithFPS(frameRate))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	waitSignal(b, out.seen, "the first frame with values")
	before, start := cpuTime(b), time.Now()
	first, _ := out.afterMark()
	time.Sleep(time.Duration(max(b.N, 5)) * time.Second)
	cpu, wall := cpuTime(b)-before, time.Since(start)
	_, after := out.afterMark()
	p.Quit()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%cpu")
	b.ReportMetric(float64(after)/wall.Seconds(), "bytes/s")
	b.ReportMetric(float64(first), "first-frame-bytes")
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
