package loopback

import "testing"

func TestOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "10.0.0.1:1": false, "example.com:1": false, "0.0.0.0:1": false} {
		if err := Only(addr); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
}
