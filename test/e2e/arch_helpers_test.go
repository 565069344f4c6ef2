//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// archRepoRoot is the repository's root, for fixtures under testdata/.
func archRepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// runKubectlEnv runs kubectl with extra environment variables and returns stdout, stderr
// and the exit code.
func runKubectlEnv(env []string, args ...string) (string, string, int) {
	cmd := exec.Command("kubectl", args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		code = -1
	}
	return out.String(), errOut.String(), code
}

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
