package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every line with the same line, on a loopback port.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// said collects what the proxy printed, for tests that wait for a line.
type said struct {
	mu    sync.Mutex
	lines []string
}

func (s *said) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	return len(b), nil
}

func (s *said) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.HasPrefix(l, prefix) {
				s.mu.Unlock()
				return l
			}
		}
		s.mu.Unlock()
	}
	t.Fatalf("no line starting %q in %q", prefix, s.lines)
	return ""
}

func start(t *testing.T, mode string) (*proxy, *said) {
	t.Helper()
	out := &said{}
	p := &proxy{target: echoServer(t), mode: mode, out: out, conns: map[net.Conn]bool{}, done: make(chan struct{})}
	if err := p.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p, out
}

func roundTrip(c net.Conn, line string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestForwardsAndCounts(t *testing.T) {
	p, _ := start(t, "close")
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := roundTrip(c, "hello"); err != nil || got != "hello\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	// The bytes are counted once the write that delivered them returns, which can be just
	// after the client has read them.
	const want = "stats: connections=1 to_target=6 from_target=6"
	deadline := time.Now().Add(2 * time.Second)
	for p.stats() != want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := p.stats(); s != want {
		t.Fatalf("%s", s)
	}
}

func TestCutClosesOpenConnectionsAndTurnsNewOnesAwayUntilRestored(t *testing.T) {
	for _, mode := range []string{"refuse", "close", "hang"} {
		t.Run(mode, func(t *testing.T) {
			p, out := start(t, mode)
			open, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer open.Close()
			if _, err := roundTrip(open, "before"); err != nil {
				t.Fatal(err)
			}
			p.cut(time.Hour)
			if l := out.waitFor(t, "cut:"); !strings.Contains(l, "closed 1 connection(s)") {
				t.Errorf("cut line %q does not count the one client connection", l)
			}
			if _, err := roundTrip(open, "during"); err == nil {
				t.Error("an open connection still answers during the cut")
			}
			c, err := net.Dial("tcp", p.addr)
			switch {
			case mode == "refuse" && err == nil:
				c.Close()
				t.Error("connecting during a refusing cut succeeded")
			case mode != "refuse" && err != nil:
				t.Errorf("connecting during a %s cut: %v", mode, err)
			}
			if err == nil {
				if _, err := roundTrip(c, "during"); err == nil {
					t.Error("a new connection was forwarded during the cut")
				}
				c.Close()
			}
			p.restore(0)
			out.waitFor(t, "restored:")
			again, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if got, err := roundTrip(again, "after"); err != nil || got != "after\n" {
				t.Fatalf("after the cut: %q, %v", got, err)
			}
		})
	}
}

func TestCutEndsByItselfAndALaterCutExtendsIt(t *testing.T) {
	p, out := start(t, "close")
	p.cut(50 * time.Millisecond)
	p.cut(300 * time.Millisecond)
	time.Sleep(150 * time.Millisecond)
	p.mu.Lock()
	cutting := p.cutting
	p.mu.Unlock()
	if !cutting {
		t.Fatal("the first cut's end ended the extended cut")
	}
	out.waitFor(t, "restored:")
}

func TestCommands(t *testing.T) {
	p, out := start(t, "close")
	p.commands(strings.NewReader("stats\ncut 1h\nbogus\ncut -1s\nrestore\nquit\n"), time.Minute)
	for _, prefix := range []string{"stats: connections=0", "cut: closed 0 connection(s); closing new ones for 1h0m0s",
		`error: unknown command "bogus"`, `error: cut wants a positive duration, got "-1s"`, "restored:"} {
		out.waitFor(t, prefix)
	}
	select {
	case <-p.done:
	default:
		t.Error("quit did not stop the proxy")
	}
}
