package arch

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/util/homedir"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/read"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// diagramFormats are the -o values explain and view draw themselves; "" is the terminal
// drawing. Every other -o value (json, yaml, name, jsonpath, go-template) is printed by the
// same printers as kubectl's, shared with kubectl katib.
var diagramFormats = []string{"dot", "mermaid", "svg"}

// modelFlags are shared by every command that reads the cluster.
type modelFlags struct {
	Offline bool
	Refresh bool
	// Output is -o as given, filled in by validate.
	Output string
	print  *output.PrintFlags
	// plain says what leaving -o out prints, for help and errors.
	plain string
	// trace receives the library's read timings; nil for none.
	trace io.Writer
}

// loadOptions are the flags and the environment as the library takes them.
func (f *modelFlags) loadOptions(getter genericclioptions.RESTClientGetter, apiOnly bool) archpkg.LoadOptions {
	return archpkg.LoadOptions{Refresh: f.Refresh, APIOnly: apiOnly, CacheDir: cacheDir(getter), Trace: f.trace}
}

// cacheDir is kubectl's cache directory: --cache-dir, else $KUBECACHEDIR, else ~/.kube/cache.
func cacheDir(getter genericclioptions.RESTClientGetter) string {
	if cf, ok := getter.(*genericclioptions.ConfigFlags); ok && cf.CacheDir != nil && *cf.CacheDir != "" {
		return *cf.CacheDir
	}
	if d := os.Getenv("KUBECACHEDIR"); d != "" {
		return d
	}
	return filepath.Join(homedir.HomeDir(), ".kube", "cache")
}

// add binds --offline (when offline), --refresh and -o with the given human formats.
func (f *modelFlags) add(cmd *cobra.Command, offline bool, humanFormats []string) {
	if offline {
		cmd.Flags().BoolVar(&f.Offline, "offline", false, "Teach the generic architecture without contacting a cluster.")
	}
	cmd.Flags().BoolVar(&f.Refresh, "refresh", false, "Read everything from the cluster again, ignoring cached API discovery and the facts reused for 30 seconds.")
	f.print = output.NewPrintFlags(humanFormats...)
	f.print.AddFlags(cmd)
	plain := "text grouped by API group"
	switch {
	case slices.Contains(humanFormats, "svg"):
		plain = "the terminal drawing"
	case slices.Contains(humanFormats, "wide"):
		plain = "a table per group"
	}
	f.setPlain(cmd, plain)
}

// setPlain says what leaving -o out prints, in -o's help and in its errors.
func (f *modelFlags) setPlain(cmd *cobra.Command, plain string) {
	f.plain = plain
	cmd.Flag("output").Usage = "Output format: " + strings.Join(f.print.AllowedFormats(), ", ") + "; without -o, " + plain + "."
}

// validate checks the output format and the flag combinations.
func (f *modelFlags) validate() error {
	f.Output = f.print.Format()
	if err := f.print.Validate(); err != nil {
		return exitcode.UsageError("unknown output format %q: use %s; without -o, %s", f.Output, strings.Join(f.print.AllowedFormats(), ", "), f.plain)
	}
	if f.Offline && f.Refresh {
		return exitcode.UsageError("--offline and --refresh cannot be used together: --offline reads nothing from a cluster")
	}
	return nil
}

// human reports whether the command draws the output itself (no -o, a diagram, wide).
func (f *modelFlags) human() bool { return f.print.IsHuman() }

// printDoc prints one of the model's documents (it carries apiVersion and kind) with the
// printer -o chose, named name for -o name and metadata.name.
func (f *modelFlags) printDoc(w io.Writer, doc any, name string) error {
	obj, err := output.Document(doc, name)
	if err != nil {
		return err
	}
	return f.print.PrintObjects(w, obj)
}

// printDocs prints several documents as a kubectl List.
func (f *modelFlags) printDocs(w io.Writer, objs []runtime.Object) error {
	return f.print.PrintList(w, objs...)
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
	var u *read.UnreachableError
	if errors.As(err, &u) {
		return exitcode.WithCode(exitcode.Failure, err)
	}
	return err
}
