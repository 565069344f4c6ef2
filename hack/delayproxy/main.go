// Command delayproxy forwards TCP connections from a loopback port to another loopback
// address and delays every byte by a fixed time in each direction, so that a client on this
// machine sees the round trips of a cluster that is farther away. Bandwidth is not limited
// and bytes keep their order: what a real link adds to a request is its round trips.
//
//	delayproxy -listen 127.0.0.1:7443 -target 127.0.0.1:6443 -rtt 10ms
//
// It serves until it is sent SIGINT or SIGTERM, or until -for has passed.
package main

import (
	"flag"
	"fmt"
	"github.com/kubectl-katib/plugins/hack/internal/loopback"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:7443", "loopback address to accept connections on")
	target := flag.String("target", "127.0.0.1:6443", "loopback address to forward them to")
	rtt := flag.Duration("rtt", 10*time.Millisecond, "round trip to add: half of it is added to each direction")
	lifetime := flag.Duration("for", 30*time.Minute, "stop after this long even if nobody stops it")
	flag.Parse()
	for _, a := range []string{*listen, *target} {
		if err := loopback.Only(a); err != nil {
			fmt.Fprintln(os.Stderr, "delayproxy:", err)
			os.Exit(2)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delayproxy:", err)
		os.Exit(1)
	}
	// The caller waits for this line before it starts timing.
	fmt.Println("listening on", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-stop:
		case <-time.After(*lifetime):
		}
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serve(c, *target, *rtt/2)
	}
}

func serve(client net.Conn, target string, oneWay time.Duration) {
	defer client.Close()
	// Connecting costs a round trip on a real link too.
	time.Sleep(2 * oneWay)
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { delayCopy(server, client, oneWay); done <- struct{}{} }()
	go func() { delayCopy(client, server, oneWay); done <- struct{}{} }()
	<-done
	<-done
}

type chunk struct {
	data []byte
	due  time.Time
}

// delayCopy copies src to dst, writing each chunk read from src oneWay after it arrived.
// Reading goes on while earlier chunks wait, so the delay does not limit throughput.
func delayCopy(dst, src net.Conn, oneWay time.Duration) {
	queue := make(chan chunk, 4096)
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				queue <- chunk{buf[:n], time.Now().Add(oneWay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			// The reader ends once src is closed; empty the queue so it is never stuck.
			src.Close()
			for range queue {
			}
			break
		}
	}
	// Let the other side see the end of this direction, as a closed TCP half would show.
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}
