package output

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Color reports whether text written to w may carry colour codes. Both plugins decide it
// here so that one setting behaves the same in each.
func Color(w io.Writer) bool { return colorAllowed(IsTerminal(w), os.Getenv("NO_COLOR")) }

// colorAllowed follows https://no-color.org: NO_COLOR turns colour off when it is set to a
// non-empty value (an empty NO_COLOR is the same as none). Colour codes are never sent to
// anything but a terminal, whatever NO_COLOR says, as a pipe or file would keep them as text.
func colorAllowed(terminal bool, noColor string) bool { return terminal && noColor == "" }

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
