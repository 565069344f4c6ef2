package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// pythonPath is the interpreter the tests check the exports with: the system's, where Debian's
// python3-optuna installs Optuna (a python3 earlier on PATH may be another interpreter).
const pythonPath = "/usr/bin/python3"

// imports remembers which imports the interpreter managed (the check takes seconds with
// Optuna).
var imports sync.Map

// python returns the interpreter once it can import the modules, and otherwise skips the test,
// or fails it when KATIB_REQUIRE_PYTHON=1 says the check must run.
func python(t *testing.T, modules ...string) string {
	t.Helper()
	code := "import sys"
	for _, m := range modules {
		code += "; import " + m
	}
	failure, checked := imports.Load(code)
	if !checked {
		out, err := exec.Command(pythonPath, "-c", code).CombinedOutput()
		failure = ""
		if err != nil {
			// The traceback's last line says what is missing.
			lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
			failure = fmt.Sprintf("%s cannot import %v (%v: %s); install python3-optuna (apt-get install python3-optuna) to run this check",
				pythonPath, modules, err, lines[len(lines)-1])
		}
		imports.Store(code, failure)
	}
	if failure != "" {
		if os.Getenv("KATIB_REQUIRE_PYTHON") == "1" {
			t.Fatalf("%s, which KATIB_REQUIRE_PYTHON=1 requires", failure)
		}
		t.Skipf("skipping: %s, or set KATIB_REQUIRE_PYTHON=1 to make this a failure", failure)
	}
	return pythonPath
}

// runPython runs a script of testdata with the arguments and decodes the JSON it prints.
func runPython(t *testing.T, py, script string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", script)}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("%s printed %q: %v", script, stdout.String(), err)
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
