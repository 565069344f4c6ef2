package output

import (
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// PrintFlags is kubectl's -o flag: the human formats ("" and "wide") are drawn by each command
// with Table, everything else goes through cli-runtime's printers so that json, yaml, name,
// jsonpath and go-template behave exactly as they do in kubectl.
type PrintFlags struct {
	*genericclioptions.PrintFlags
	// humanFormats are the extra -o values the command draws itself, such as "wide".
	humanFormats []string
}

// NewPrintFlags returns -o flags whose human formats are "" plus the given extras (e.g. "wide").
func NewPrintFlags(humanFormats ...string) *PrintFlags {
	return &PrintFlags{PrintFlags: genericclioptions.NewPrintFlags(""), humanFormats: humanFormats}
}

// Format is the value of -o as given.
func (f *PrintFlags) Format() string {
	if f.OutputFormat == nil {
		return ""
	}
	return *f.OutputFormat
}

// IsHuman reports whether the command should draw its own table or text.
func (f *PrintFlags) IsHuman() bool {
	format := f.Format()
	if format == "" {
		return true
	}
	for _, h := range f.humanFormats {
		if format == h {
			return true
		}
	}
	return false
}

// AllowedFormats lists every -o value, for help text and error messages.
func (f *PrintFlags) AllowedFormats() []string {
	return append(append([]string{}, f.humanFormats...), f.PrintFlags.AllowedFormats()...)
}

// Validate rejects an unknown -o value with the list of the ones that work.
func (f *PrintFlags) Validate() error {
	if f.IsHuman() {
		return nil
	}
	if _, err := f.PrintFlags.ToPrinter(); err != nil {
		return fmt.Errorf("unable to match a printer for output format %q: allowed formats are %s",
			f.Format(), strings.Join(f.AllowedFormats(), ", "))
	}
	return nil
}

// PrintObjects prints one object bare and several as a kubectl-style v1 List, as kubectl does
// for `get KIND NAME` versus `get KIND NAME1 NAME2`.
func (f *PrintFlags) PrintObjects(w io.Writer, objs ...runtime.Object) error {
	if len(objs) == 1 {
		printer, err := f.PrintFlags.ToPrinter()
		if err != nil {
			return err
		}
		return printer.PrintObj(objs[0], w)
	}
	return f.PrintList(w, objs...)
}

// PrintList always prints a List, even for zero or one item, as kubectl does for `get KIND`;
// -o name prints one line per object instead.
func (f *PrintFlags) PrintList(w io.Writer, objs ...runtime.Object) error {
	printer, err := f.PrintFlags.ToPrinter()
	if err != nil {
		return err
	}
	if f.Format() == "name" {
		for _, obj := range objs {
			if err := printer.PrintObj(obj, w); err != nil {
				return err
			}
		}
		return nil
	}
	list := &metav1.List{TypeMeta: metav1.TypeMeta{Kind: "List", APIVersion: "v1"}, Items: []runtime.RawExtension{}}
	for _, obj := range objs {
		list.Items = append(list.Items, runtime.RawExtension{Object: obj})
	}
	return printer.PrintObj(list, w)
}
