package arch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// diagramFormats are the -o values of explain and view; "" is the terminal drawing.
var diagramFormats = []string{"", "json", "yaml", "dot", "mermaid", "svg"}

// modelFlags are shared by every command that reads the cluster.
type modelFlags struct {
	Offline bool
	Refresh bool
	Output  string
}

func (f *modelFlags) add(cmd *cobra.Command, offline bool, formats []string) {
	if offline {
		cmd.Flags().BoolVar(&f.Offline, "offline", false, "Teach the generic architecture without contacting a cluster.")
	}
	cmd.Flags().BoolVar(&f.Refresh, "refresh", false, "Read everything from the cluster again, ignoring cached API discovery and the facts reused for 30 seconds.")
	cmd.Flags().StringVarP(&f.Output, "output", "o", "", "Output format: "+formatChoices(formats)+".")
}

// validate checks the output format against formats and the flag combinations.
func (f *modelFlags) validate(formats []string) error {
	if err := validateFormat(f.Output, formats); err != nil {
		return err
	}
	if f.Offline && f.Refresh {
		return exitcode.UsageError("--offline and --refresh cannot be used together: --offline reads nothing from a cluster")
	}
	return nil
}

func validateFormat(got string, allowed []string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return exitcode.UsageError("unknown output format %q: use %s", got, formatChoices(allowed))
}

// formatChoices names the -o values in words; "" in the list is the format without -o.
func formatChoices(formats []string) string {
	var named []string
	plain, diagram, table := false, false, false
	for _, f := range formats {
		switch f {
		case "":
			plain = true
		case "svg":
			diagram = true
		case "wide":
			table = true
		}
		if f != "" {
			named = append(named, f)
		}
	}
	out := named[0]
	if len(named) > 1 {
		out = strings.Join(named[:len(named)-1], ", ") + " or " + named[len(named)-1]
	}
	switch {
	case plain && diagram:
		out += "; without -o, the terminal drawing"
	case plain && table:
		out += "; without -o, a table per group"
	case plain:
		out += "; without -o, text grouped by API group"
	}
	return out
}

// style decides colour and width: the drawing narrows to a terminal under 80 columns and
// keeps 80 elsewhere, so a file or pipe gets the same text on every machine.
func style(w io.Writer) render.Style {
	st := render.Style{Width: 80, Color: output.Color(w)}
	if f, ok := w.(*os.File); ok {
		// GetSize fails on anything but a terminal, which leaves the width at 80.
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 && width < 80 {
			st.Width = width
		}
	}
	return st
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func writeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeGraph writes a diagram format; ok is false for formats that are not diagrams.
func writeGraph(w io.Writer, format string, g *render.Graph) (bool, error) {
	switch format {
	case "dot":
		return true, render.DOT(w, g)
	case "mermaid":
		return true, render.Mermaid(w, g)
	case "svg":
		return true, render.SVG(w, g)
	}
	return false, nil
}

// loadError turns an unreachable cluster into exit code 1 with its advice.
func loadError(err error) error {
	var u *archpkg.UnreachableError
	if errors.As(err, &u) {
		return exitcode.WithCode(exitcode.Failure, err)
	}
	return err
}
