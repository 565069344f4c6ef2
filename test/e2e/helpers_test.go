//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// execute runs a command with extra environment variables and optional stdin. It returns
// stdout, stderr, the exit code (-1 when the command could not run) and the error.
func execute(env []string, stdin []byte, name string, args ...string) (string, string, int, error) {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
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
	return out.String(), errOut.String(), code, err
}

// repoRoot is the repository's root, for fixtures under testdata/ and the cluster's files.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

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
	out, errOut, _, err := execute(nil, nil, "kubectl", args...)
	return out, errOut, err
}

// runKubectlEnv runs kubectl with extra environment variables and returns stdout, stderr
// and the exit code.
func runKubectlEnv(env []string, args ...string) (string, string, int) {
	out, errOut, code, _ := execute(env, nil, "kubectl", args...)
	return out, errOut, code
}
