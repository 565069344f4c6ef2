package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-katib/plugins/pkg/output/gotemplate"
)

// PrintFlags is kubectl's -o flag: the human formats ("" and "wide") are drawn by each command
// with Table, everything else prints as kubectl prints it. json, yaml, name and jsonpath are
// cli-runtime's own printers; go-template runs on package gotemplate, because cli-runtime's
// go-template printer links text/template's executor, whose method lookup by name keeps some
// 20 MB of otherwise dead client-go methods in the binary. For the same reason nothing here
// may call genericclioptions.PrintFlags.ToPrinter.
type PrintFlags struct {
	JSONYamlPrintFlags   *genericclioptions.JSONYamlPrintFlags
	NamePrintFlags       *genericclioptions.NamePrintFlags
	TemplatePrinterFlags *genericclioptions.KubeTemplatePrintFlags

	OutputFormat *string
	// OutputFlagSpecified tells a --template given without -o apart from one given with it.
	OutputFlagSpecified func() bool

	// humanFormats are the extra -o values the command draws itself, such as "wide".
	humanFormats []string
}

// NewPrintFlags returns -o flags whose human formats are "" plus the given extras (e.g. "wide").
func NewPrintFlags(humanFormats ...string) *PrintFlags {
	outputFormat := ""
	return &PrintFlags{
		JSONYamlPrintFlags:   genericclioptions.NewJSONYamlPrintFlags(),
		NamePrintFlags:       genericclioptions.NewNamePrintFlags(""),
		TemplatePrinterFlags: genericclioptions.NewKubeTemplatePrintFlags(),
		OutputFormat:         &outputFormat,
		humanFormats:         humanFormats,
	}
}

// AddFlags binds -o, --template, --allow-missing-template-keys and --show-managed-fields
// with kubectl's help texts.
func (f *PrintFlags) AddFlags(cmd *cobra.Command) {
	f.JSONYamlPrintFlags.AddFlags(cmd)
	f.NamePrintFlags.AddFlags(cmd)
	f.TemplatePrinterFlags.AddFlags(cmd)
	if f.OutputFormat != nil {
		cmd.Flags().StringVarP(f.OutputFormat, "output", "o", *f.OutputFormat,
			fmt.Sprintf(`Output format. One of: (%s).`, strings.Join(f.printerFormats(), ", ")))
		if f.OutputFlagSpecified == nil {
			f.OutputFlagSpecified = func() bool { return cmd.Flag("output").Changed }
		}
	}
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
	return append(append([]string{}, f.humanFormats...), f.printerFormats()...)
}

// printerFormats are the -o values that a printer handles, in kubectl's order.
func (f *PrintFlags) printerFormats() []string {
	formats := append([]string{}, f.JSONYamlPrintFlags.AllowedFormats()...)
	formats = append(formats, f.NamePrintFlags.AllowedFormats()...)
	return append(formats, f.TemplatePrinterFlags.AllowedFormats()...)
}

// Validate rejects an unknown -o value with the list of the ones that work.
func (f *PrintFlags) Validate() error {
	if f.IsHuman() {
		return nil
	}
	if _, err := f.toPrinter(); err != nil {
		return fmt.Errorf("unable to match a printer for output format %q: allowed formats are %s",
			f.Format(), strings.Join(f.AllowedFormats(), ", "))
	}
	return nil
}

// PrintObjects prints one object bare and several as a kubectl-style v1 List, as kubectl does
// for `get KIND NAME` versus `get KIND NAME1 NAME2`.
func (f *PrintFlags) PrintObjects(w io.Writer, objs ...runtime.Object) error {
	if len(objs) == 1 {
		printer, err := f.toPrinter()
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
	printer, err := f.toPrinter()
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

// toPrinter is genericclioptions.PrintFlags.ToPrinter, with the go-template printer of this
// package: the same formats tried in the same order, with the same errors.
func (f *PrintFlags) toPrinter() (printers.ResourcePrinter, error) {
	outputFormat := f.Format()
	templateFlagSpecified := f.TemplatePrinterFlags != nil &&
		f.TemplatePrinterFlags.TemplateArgument != nil &&
		len(*f.TemplatePrinterFlags.TemplateArgument) > 0
	outputFlagSpecified := f.OutputFlagSpecified != nil && f.OutputFlagSpecified()
	if templateFlagSpecified && !outputFlagSpecified {
		outputFormat = "go-template"
	}
	if f.JSONYamlPrintFlags != nil {
		if p, err := f.JSONYamlPrintFlags.ToPrinter(outputFormat); !genericclioptions.IsNoCompatiblePrinterError(err) {
			return p, err
		}
	}
	if f.NamePrintFlags != nil {
		if p, err := f.NamePrintFlags.ToPrinter(outputFormat); !genericclioptions.IsNoCompatiblePrinterError(err) {
			return p, err
		}
	}
	if f.TemplatePrinterFlags != nil {
		if p, err := f.TemplatePrinterFlags.JSONPathPrintFlags.ToPrinter(outputFormat); !genericclioptions.IsNoCompatiblePrinterError(err) {
			return p, err
		}
		if p, err := goTemplatePrinterFor(f.TemplatePrinterFlags.GoTemplatePrintFlags, outputFormat); !genericclioptions.IsNoCompatiblePrinterError(err) {
			return p, err
		}
	}
	return nil, genericclioptions.NoCompatiblePrinterError{OutputFormat: f.OutputFormat, AllowedFormats: f.printerFormats()}
}

// templateFormats are the -o values of a go-template, as genericclioptions names them.
var templateFormats = []string{"go-template", "go-template-file", "template", "templatefile"}

// goTemplatePrinterFor is genericclioptions.GoTemplatePrintFlags.ToPrinter.
func goTemplatePrinterFor(f *genericclioptions.GoTemplatePrintFlags, templateFormat string) (printers.ResourcePrinter, error) {
	if (f.TemplateArgument == nil || len(*f.TemplateArgument) == 0) && len(templateFormat) == 0 {
		return nil, genericclioptions.NoCompatiblePrinterError{OutputFormat: &templateFormat}
	}
	templateValue := ""
	if f.TemplateArgument == nil || len(*f.TemplateArgument) == 0 {
		for _, format := range templateFormats {
			format = format + "="
			if strings.HasPrefix(templateFormat, format) {
				templateValue = templateFormat[len(format):]
				templateFormat = format[:len(format)-1]
				break
			}
		}
	} else {
		templateValue = *f.TemplateArgument
	}
	supported := false
	for _, format := range templateFormats {
		supported = supported || format == templateFormat
	}
	if !supported {
		return nil, genericclioptions.NoCompatiblePrinterError{OutputFormat: &templateFormat, AllowedFormats: f.AllowedFormats()}
	}
	if len(templateValue) == 0 {
		return nil, fmt.Errorf("template format specified but no template given")
	}
	if templateFormat == "templatefile" || templateFormat == "go-template-file" {
		data, err := os.ReadFile(templateValue)
		if err != nil {
			return nil, fmt.Errorf("error reading --template %s, %v", templateValue, err)
		}
		templateValue = string(data)
	}
	tmpl, err := gotemplate.Parse("output", templateValue)
	if err != nil {
		return nil, fmt.Errorf("error parsing template %s, %v", templateValue, err)
	}
	if f.AllowMissingKeys == nil || *f.AllowMissingKeys {
		tmpl.Option("missingkey=default")
	} else {
		tmpl.Option("missingkey=error")
	}
	return &goTemplatePrinter{rawTemplate: templateValue, template: tmpl}, nil
}

// goTemplatePrinter is cli-runtime's GoTemplatePrinter: the template sees the object as JSON
// decoded into maps, and a failure prints what went in after whatever came out.
type goTemplatePrinter struct {
	rawTemplate string
	template    *gotemplate.Template
}

func (p *goTemplatePrinter) PrintObj(obj runtime.Object, w io.Writer) error {
	if printers.InternalObjectPreventer.IsForbidden(reflect.Indirect(reflect.ValueOf(obj)).Type().PkgPath()) {
		return errors.New(printers.InternalObjectPrinterErr)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(data, &out); err != nil {
		return err
	}
	if err = p.safeExecute(w, out); err != nil {
		fmt.Fprintf(w, "Error executing template: %v. Printing more information for debugging the template:\n", err)
		fmt.Fprintf(w, "\ttemplate was:\n\t\t%v\n", p.rawTemplate)
		fmt.Fprintf(w, "\traw data was:\n\t\t%v\n", string(data))
		fmt.Fprintf(w, "\tobject given to template engine was:\n\t\t%+v\n\n", out)
		return fmt.Errorf("error executing template %q: %v", p.rawTemplate, err)
	}
	return nil
}

func (p *goTemplatePrinter) safeExecute(w io.Writer, obj interface{}) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("caught panic: %+v", x)
		}
	}()
	return p.template.Execute(w, obj)
}
