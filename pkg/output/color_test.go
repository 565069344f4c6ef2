package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestColorAllowed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		noColor  string
		want     bool
	}{
		{"terminal, NO_COLOR unset or empty", true, "", true},
		{"terminal, NO_COLOR=1", true, "1", false},
		{"terminal, NO_COLOR=0 still means no colour", true, "0", false},
		{"terminal, NO_COLOR=false still means no colour", true, "false", false},
		{"pipe, NO_COLOR unset", false, "", false},
		{"pipe, NO_COLOR=1", false, "1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := colorAllowed(tc.terminal, tc.noColor); got != tc.want {
				t.Errorf("colorAllowed(%v, %q) = %v, want %v", tc.terminal, tc.noColor, got, tc.want)
			}
		})
	}
}

// Color reads the environment itself; whatever NO_COLOR says, a buffer or a file is no
// terminal and gets no colour.
func TestColorNeverOffATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, v := range []string{"", "1"} {
		t.Setenv("NO_COLOR", v)
		for name, w := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "file": f} {
			if Color(w) {
				t.Errorf("NO_COLOR=%q, %s: colour on", v, name)
			}
		}
	}
}
