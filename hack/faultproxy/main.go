// Command faultproxy forwards TCP connections from a loopback port to another loopback
// address, byte for byte (TLS passes through untouched), and cuts them on demand: a cut
// closes every open connection and, for its duration, turns new ones away; then it forwards
// again. Tests put it between a client and the API server to see how the client lives
// through a network cut; benchmarks read the bytes it counted in each direction.
//
//	faultproxy -listen 127.0.0.1:7443 -target 127.0.0.1:6443 -cut 10s -mode close
//
// A cut starts on SIGUSR1 (for -cut) or on a line on stdin:
//
//	cut [DURATION]   cut now, for DURATION (default -cut); a cut during a cut extends it
//	restore          end the cut now
//	stats            print the counters
//	quit             stop
//
// -mode says what happens to connections made during a cut: refuse (the port is closed, so
// connecting fails at once), close (accepted and closed at once) or hang (accepted and left
// unanswered until the cut ends, as on a link that drops every packet).
//
// It prints one line when it listens, when a cut starts and when it ends, and the counters
// when it stops, so callers act on what it said rather than on sleeps:
//
//	listening on 127.0.0.1:7443
//	cut: closed 3 connection(s); closing new ones for 10s
//	restored: forwarding again after 10s
//	stats: connections=12 to_target=48213 from_target=190233
//
// It stops on SIGINT, SIGTERM, "quit" or once -for has passed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"github.com/kubectl-katib/plugins/hack/internal/loopback"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:7443", "loopback address to accept connections on (port 0: any free port)")
	target := flag.String("target", "127.0.0.1:6443", "loopback address to forward them to")
	cut := flag.Duration("cut", 10*time.Second, "how long a cut started by SIGUSR1 (or a bare \"cut\") lasts")
	mode := flag.String("mode", "close", "what a connection made during a cut gets: refuse, close or hang")
	lifetime := flag.Duration("for", 30*time.Minute, "stop after this long even if nobody stops it")
	flag.Parse()
	for _, a := range []string{*listen, *target} {
		if err := loopback.Only(a); err != nil {
			fmt.Fprintln(os.Stderr, "faultproxy:", err)
			os.Exit(2)
		}
	}
	switch *mode {
	case "refuse", "close", "hang":
	default:
		fmt.Fprintf(os.Stderr, "faultproxy: -mode must be refuse, close or hang, got %q\n", *mode)
		os.Exit(2)
	}
	if *cut <= 0 {
		fmt.Fprintln(os.Stderr, "faultproxy: -cut must be positive")
		os.Exit(2)
	}
	p := &proxy{target: *target, mode: *mode, out: os.Stdout, conns: map[net.Conn]bool{}, done: make(chan struct{})}
	if err := p.listen(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
	// The caller reads the port from this line, and waits for it before connecting.
	p.say("listening on %s", p.addr)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	go p.commands(os.Stdin, *cut)
	deadline := time.After(*lifetime)
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				p.cut(*cut)
				continue
			}
		case <-deadline:
		case <-p.done:
		}
		break
	}
	p.stop()
}

type proxy struct {
	target, mode string
	out          io.Writer

	mu      sync.Mutex
	addr    string // the address actually listened on, kept across cuts in refuse mode
	ln      net.Listener
	conns   map[net.Conn]bool // true for the client's side of a connection
	cutting bool
	cutGen  int
	cutFrom time.Time
	stopped bool

	connections, toTarget, fromTarget atomic.Int64

	outMu    sync.Mutex
	done     chan struct{}
	doneOnce sync.Once
}

func (p *proxy) say(format string, args ...any) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// listen binds addr (the first time) or the address bound before (after a refusing cut),
// and accepts on it until the listener is closed.
func (p *proxy) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.ln, p.addr = ln, ln.Addr().String()
	go p.accept(ln)
	return nil
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

// track registers a connection to be closed by the next cut; it refuses (and closes) one
// that arrives while a cut is on, so nothing slips through between a cut's sweep and its end.
func (p *proxy) track(c net.Conn, client bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cutting || p.stopped {
		if p.mode == "hang" && !p.stopped {
			// Held open, unanswered, until the cut ends: restore closes it like the rest.
			p.conns[c] = client
			return false
		}
		c.Close()
		return false
	}
	p.conns[c] = client
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *proxy) serve(client net.Conn) {
	if !p.track(client, true) {
		return
	}
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server, false) {
		return
	}
	defer p.untrack(server)
	p.connections.Add(1)
	done := make(chan struct{}, 2)
	go func() { pipe(server, client, &p.toTarget); done <- struct{}{} }()
	go func() { pipe(client, server, &p.fromTarget); done <- struct{}{} }()
	<-done
	<-done
}

// pipe copies src to dst, counting bytes as they pass (a watch may stay open for the whole
// run, and "stats" must include what it moved so far), then shows the end of this direction
// to dst as a closed TCP half, so a client that closes its sending side still gets its answer.
func pipe(dst, src net.Conn, n *atomic.Int64) {
	_, _ = io.Copy(counter{dst, n}, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

type counter struct {
	w io.Writer
	n *atomic.Int64
}

func (c counter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// cut closes every connection and turns new ones away for d. A cut while one is on extends
// it to d from now.
func (p *proxy) cut(d time.Duration) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.cutGen++
	gen := p.cutGen
	extended := p.cutting
	if !extended {
		p.cutFrom = time.Now()
	}
	p.cutting = true
	n := 0
	for c, client := range p.conns {
		c.Close()
		if client {
			n++
		}
	}
	// Closed connections untrack themselves; clearing here keeps the count of the next cut
	// to the connections made after this one.
	clear(p.conns)
	if p.mode == "refuse" && p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	what := map[string]string{"refuse": "refusing", "close": "closing", "hang": "holding unanswered"}[p.mode]
	if extended {
		p.say("cut: extended; closed %d connection(s); %s new ones for %s from now", n, what, d)
	} else {
		p.say("cut: closed %d connection(s); %s new ones for %s", n, what, d)
	}
	time.AfterFunc(d, func() { p.restore(gen) })
}

// restore ends the cut numbered gen (0: whichever is on) unless a later cut replaced it.
func (p *proxy) restore(gen int) {
	p.mu.Lock()
	if !p.cutting || p.stopped || (gen != 0 && gen != p.cutGen) {
		p.mu.Unlock()
		return
	}
	p.cutting = false
	lasted := time.Since(p.cutFrom).Round(10 * time.Millisecond)
	// Connections held in hang mode never reached the target: they end with the cut.
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	var err error
	if p.mode == "refuse" {
		// The port was ours a moment ago; only another program grabbing it in between can
		// make this fail, which a test must hear about.
		for i := 0; i < 50; i++ {
			if err = p.listen(p.addr); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	p.mu.Unlock()
	if err != nil {
		p.say("error: cannot listen on %s again: %v", p.addr, err)
		p.quit()
		return
	}
	p.say("restored: forwarding again after %s", lasted)
}

func (p *proxy) stats() string {
	return fmt.Sprintf("stats: connections=%d to_target=%d from_target=%d", p.connections.Load(), p.toTarget.Load(), p.fromTarget.Load())
}

// commands reads the line protocol on stdin. The end of stdin is not a command to stop: a
// caller that gives no stdin controls the proxy with signals.
func (p *proxy) commands(r io.Reader, def time.Duration) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "cut" && len(f) <= 2:
			d := def
			if len(f) == 2 {
				var err error
				if d, err = time.ParseDuration(f[1]); err != nil || d <= 0 {
					p.say("error: cut wants a positive duration, got %q", f[1])
					continue
				}
			}
			p.cut(d)
		case f[0] == "restore" && len(f) == 1:
			p.restore(0)
		case f[0] == "stats" && len(f) == 1:
			p.say("%s", p.stats())
		case f[0] == "quit" && len(f) == 1:
			p.quit()
			return
		default:
			p.say("error: unknown command %q (cut [DURATION], restore, stats, quit)", s.Text())
		}
	}
}

func (p *proxy) quit() { p.doneOnce.Do(func() { close(p.done) }) }

// stop closes everything and prints the counters, after the copies have counted what they
// moved.
func (p *proxy) stop() {
	p.mu.Lock()
	p.stopped = true
	if p.ln != nil {
		p.ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		left := len(p.conns)
		p.mu.Unlock()
		if left == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.say("%s", p.stats())
}
