package trial

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"
)

// fakeLogs serves scripted container logs the way the kubelet does through the API
// server: timestamped lines, SinceTime honoured at face value, follow streams that end
// with io.EOF once the container has exited, NotFound once the pod is gone.
type fakeLogs struct {
	mu    sync.Mutex
	pods  map[string]*fakeLog
	calls []openCall
	// opened reports each log request to a test waiting for one.
	opened chan openCall
}

type fakeLine struct {
	at   time.Time
	text string
	// noEOL leaves the line unterminated, as a program's last output can be.
	noEOL bool
}

// brk ends the stream that is about to send line at (an index into the log) with err;
// with partial, the stream first sends that line cut short. Each brk applies once, in
// order.
type brk struct {
	at      int
	err     error
	partial bool
}

type fakeLog struct {
	lines     []fakeLine
	exited    bool
	deleted   bool
	failOpens []error
	refuseAll bool
	openErr   error
	breaks    []brk
	streams   []*fakeStream
	// changed is closed and replaced whenever the log changes, to wake followers.
	changed chan struct{}
}

type openCall struct {
	pod  string
	opts corev1.PodLogOptions
	err  error
}

func newFakeLogs() *fakeLogs {
	return &fakeLogs{pods: map[string]*fakeLog{}, opened: make(chan openCall, 10000)}
}

func (f *fakeLogs) log(pod string) *fakeLog {
	l, ok := f.pods[pod]
	if !ok {
		l = &fakeLog{changed: make(chan struct{})}
		f.pods[pod] = l
	}
	return l
}

func (f *fakeLogs) update(pod string, change func(l *fakeLog)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log(pod)
	change(l)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (f *fakeLogs) exit(pod string) { f.update(pod, func(l *fakeLog) { l.exited = true }) }

// breakStreams ends the pod's open streams with err once they have sent what they hold.
func (f *fakeLogs) breakStreams(pod string, err error) {
	f.update(pod, func(l *fakeLog) {
		for _, s := range l.streams {
			if s.broken == nil {
				s.broken = err
			}
		}
	})
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
var errReset = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}

func (f *fakeLogs) Open(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log(pod)
	call := openCall{pod: pod, opts: *opts}
	switch {
	case len(l.failOpens) > 0:
		call.err = l.failOpens[0]
		l.failOpens = l.failOpens[1:]
	case l.refuseAll:
		call.err = errRefused
	case l.deleted:
		call.err = apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, pod)
	case l.openErr != nil:
		call.err = l.openErr
	}
	f.calls = append(f.calls, call)
	select {
	case f.opened <- call:
	default:
	}
	if call.err != nil {
		return nil, call.err
	}
	s := &fakeStream{f: f, l: l, ctx: ctx}
	if opts.SinceTime != nil {
		for s.next < len(l.lines) && l.lines[s.next].at.Before(opts.SinceTime.Time) {
			s.next++
		}
	}
	l.streams = append(l.streams, s)
	return s, nil
}

type fakeStream struct {
	f      *fakeLogs
	l      *fakeLog
	ctx    context.Context
	next   int
	buf    []byte
	end    error
	broken error
}

func (s *fakeStream) Read(p []byte) (int, error) {
	for {
		if len(s.buf) > 0 {
			n := copy(p, s.buf)
			s.buf = s.buf[n:]
			return n, nil
		}
		if s.end != nil {
			return 0, s.end
		}
		s.f.mu.Lock()
		l := s.l
		switch {
		case s.next < len(l.lines) && len(l.breaks) > 0 && l.breaks[0].at == s.next:
			b := l.breaks[0]
			l.breaks = l.breaks[1:]
			if b.partial {
				line := formatLine(l.lines[s.next])
				s.buf = []byte(line[:len(line)-3])
			}
			s.end = b.err
		case s.next < len(l.lines):
			s.buf = []byte(formatLine(l.lines[s.next]))
			s.next++
		case s.broken != nil:
			s.end = s.broken
		case l.exited || l.deleted:
			s.end = io.EOF
		default:
			changed := l.changed
			s.f.mu.Unlock()
			select {
			case <-changed:
			case <-s.ctx.Done():
				return 0, s.ctx.Err()
			}
			continue
		}
		s.f.mu.Unlock()
	}
}

func (s *fakeStream) Close() error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for i, o := range s.l.streams {
		if o == s {
			s.l.streams = append(s.l.streams[:i], s.l.streams[i+1:]...)
			break
		}
	}
	close(s.l.changed)
	s.l.changed = make(chan struct{})
	return nil
}

func formatLine(l fakeLine) string {
	s := l.at.UTC().Format(time.RFC3339Nano) + " " + l.text
	if !l.noEOL {
		s += "\n"
	}
	return s
}

// timerClock is a fake clock that reports every timer it is asked for, so a test knows
// when the monitor waits and for how long.
type timerClock struct {
	*testingclock.FakeClock
	timers chan time.Duration
}

func newTimerClock() *timerClock {
	return &timerClock{FakeClock: testingclock.NewFakeClock(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)), timers: make(chan time.Duration, 100)}
}

// next is the duration of the next timer the monitor asks for.
func (c *timerClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.timers:
		return d
	case <-time.After(patience):
		t.Fatal("the monitor did not start waiting")
		return 0
	}
}

func (c *timerClock) NewTimer(d time.Duration) clock.Timer {
	t := c.FakeClock.NewTimer(d)
	c.timers <- d
	return t
}
