//go:build e2e

package e2e

import (
	"bytes"
	"os/exec"
	"testing"
)

// kubectl runs the real kubectl found on PATH and fails the test on a non-zero exit.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runKubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

// runKubectl runs kubectl and returns stdout, stderr and the exit error, for tests that
// expect failures.
func runKubectl(args ...string) (string, string, error) {
	cmd := exec.Command("kubectl", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}
