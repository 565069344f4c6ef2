// Package golden compares test output with files under the repository's testdata/ folder;
// `go test ./... -args -update` (or `make golden`) rewrites them.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Path is the absolute path of a file under testdata/.
func Path(name string) string { return filepath.Join(Root(), "testdata", name) }

// Assert compares got with testdata/name, or rewrites the file when -update is set.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	AssertFile(t, Path(name), got)
}

// AssertFile is Assert for a file outside testdata/, such as generated data that a package
// embeds.
func AssertFile(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != string(got) {
		t.Errorf("output differs from %s (run `make golden` to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
