// Package loopback keeps the project's test and benchmark forwarders on this machine.
package loopback

import (
	"fmt"
	"net"
)

// Only refuses anything but a loopback address: nothing the forwarders carry should leave
// the machine.
func Only(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	return nil
}
