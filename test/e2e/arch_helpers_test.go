//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
)

// archJSON runs `kubectl arch ARGS -o json` and decodes the result into v.
func archJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := kubectl(t, append(append([]string{"arch"}, args...), "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl arch %v -o json: %v\n%s", args, err, out)
	}
}

// archCacheDir gives each test its own kubectl cache, so every test reads the cluster as
// it is now rather than what an earlier test cached.
func archCacheDir(t *testing.T) string {
	return "--cache-dir=" + t.TempDir()
}
