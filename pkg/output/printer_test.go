package output

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// conformanceObjects are the documents of the go-template conformance cases as objects.
func conformanceObjects(t *testing.T) map[string]runtime.Object {
	t.Helper()
	objs := map[string]runtime.Object{}
	for _, name := range []string{"experiment", "trial", "list"} {
		data, err := os.ReadFile(filepath.Join("gotemplate", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(data, &u.Object); err != nil {
			t.Fatal(err)
		}
		objs[name] = u
	}
	return objs
}

func conformanceTemplates(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("gotemplate", "testdata", "templates.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n%%\n")
}

// kubectlPrint prints obj the way kubectl does, through cli-runtime's own printers.
func kubectlPrint(format string, allowMissingKeys bool, obj runtime.Object) (string, string) {
	f := genericclioptions.NewPrintFlags("")
	f.OutputFormat = &format
	*f.TemplatePrinterFlags.AllowMissingKeys = allowMissingKeys
	p, err := f.ToPrinter()
	if err != nil {
		return "", err.Error()
	}
	var buf bytes.Buffer
	if err := p.PrintObj(obj, &buf); err != nil {
		return buf.String(), err.Error()
	}
	return buf.String(), ""
}

func ourPrint(format string, allowMissingKeys bool, obj runtime.Object) (string, string) {
	f := NewPrintFlags("wide")
	f.OutputFormat = &format
	*f.TemplatePrinterFlags.AllowMissingKeys = allowMissingKeys
	var buf bytes.Buffer
	if err := f.PrintObjects(&buf, obj); err != nil {
		return buf.String(), err.Error()
	}
	return buf.String(), ""
}

// TestGoTemplateIsKubectls runs every conformance template through -o go-template here and in
// cli-runtime, comparing output, the debugging text after a failure, and errors.
func TestGoTemplateIsKubectls(t *testing.T) {
	objs := conformanceObjects(t)
	runs, failures := 0, 0
	for _, text := range conformanceTemplates(t) {
		for name, obj := range objs {
			for _, allow := range []bool{true, false} {
				format := "go-template=" + text
				wantOut, wantErr := kubectlPrint(format, allow, obj)
				gotOut, gotErr := ourPrint(format, allow, obj)
				runs++
				if wantErr != "" {
					failures++
				}
				if gotOut != wantOut || gotErr != wantErr {
					t.Errorf("-o %q on %s, --allow-missing-template-keys=%v:\n--- kubectl\n%s\nerror: %s\n--- ours\n%s\nerror: %s",
						format, name, allow, wantOut, wantErr, gotOut, gotErr)
				}
			}
		}
	}
	t.Logf("%d runs, %d of them errors, all as kubectl", runs, failures)
}

func TestOutputFormatsAreKubectls(t *testing.T) {
	obj := conformanceObjects(t)["experiment"]
	file := filepath.Join(t.TempDir(), "tmpl")
	if err := os.WriteFile(file, []byte(`{{.kind}}/{{.metadata.name}}{{"\n"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{
		"json", "yaml", "kyaml", "name", "JSON",
		"jsonpath={.metadata.name}", "jsonpath-as-json={.spec.parameters[*].name}", "jsonpath={.nope}",
		"jsonpath={", "jsonpath=", "jsonpath-file=" + file,
		"go-template={{.metadata.name}}", "go-template-file=" + file, "templatefile=" + file,
		"template={{.kind}}", "go-template=", "go-template={{", "go-template-file=/nonexistent",
		"go-template", "template", "xml", "go-template-x={{.kind}}", "wide",
	} {
		for _, allow := range []bool{true, false} {
			wantOut, wantErr := kubectlPrint(format, allow, obj)
			gotOut, gotErr := ourPrint(format, allow, obj)
			if gotOut != wantOut || gotErr != wantErr {
				t.Errorf("-o %q, --allow-missing-template-keys=%v:\n--- kubectl\n%s\nerror: %s\n--- ours\n%s\nerror: %s",
					format, allow, wantOut, wantErr, gotOut, gotErr)
			}
		}
	}
}

// flagsOf lists a command's flags with everything --help shows of them.
func flagsOf(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		out = append(out, strings.Join([]string{f.Name, f.Shorthand, f.Usage, f.DefValue, f.Value.Type()}, "|"))
	})
	sort.Strings(out)
	return out
}

func TestFlagsAreKubectls(t *testing.T) {
	ours, kubectl := &cobra.Command{}, &cobra.Command{}
	NewPrintFlags("wide").AddFlags(ours)
	genericclioptions.NewPrintFlags("").AddFlags(kubectl)
	got, want := flagsOf(ours), flagsOf(kubectl)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("flags differ:\n--- kubectl\n%s\n--- ours\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// printWithArgs parses command-line flags as a command would and prints the pods.
func printWithArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	f := NewPrintFlags("wide")
	cmd := &cobra.Command{Use: "get", RunE: func(*cobra.Command, []string) error { return nil }}
	f.AddFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err := f.PrintObjects(&buf, pods()...)
	return buf.String(), err
}

func TestGoTemplateFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "names.tmpl")
	if err := os.WriteFile(file, []byte("{{range .items}}{{.metadata.namespace}}/{{.metadata.name}}\n{{end}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", `go-template={{range .items}}{{.metadata.name}} {{end}}`}, "trial-a trial-b "},
		{[]string{"-o=go-template", "--template", `{{len .items}}`}, "2"},
		{[]string{"--output", "template={{.kind}}"}, "List"},
		{[]string{"-o", "go-template-file=" + file}, "ml/trial-a\nml/trial-b\n"},
		{[]string{"-o", "templatefile", "--template", file}, "ml/trial-a\nml/trial-b\n"},
		{[]string{"-o", `go-template={{range .items}}{{index .metadata.labels "app"}},{{end}}`}, "trainer,trainer,"},
		{[]string{"-o", `go-template={{range .items}}{{.spec.nope}}{{end}}`}, "<no value><no value>"},
	} {
		got, err := printWithArgs(t, c.args...)
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.args, got, err, c.want)
		}
	}
}

func TestGoTemplateMissingKeys(t *testing.T) {
	out, err := printWithArgs(t, "-o", "go-template={{range .items}}{{.spec.nope}}{{end}}", "--allow-missing-template-keys=false")
	if err == nil || !strings.Contains(err.Error(), `map has no entry for key "nope"`) {
		t.Fatalf("want a missing key error, got %v", err)
	}
	if !strings.HasPrefix(out, "Error executing template: ") || !strings.Contains(out, "\ttemplate was:\n\t\t{{range .items}}{{.spec.nope}}{{end}}\n") {
		t.Fatalf("want kubectl's debugging text, got %q", out)
	}
}

func TestGoTemplateErrors(t *testing.T) {
	for args, want := range map[string]string{
		"-o=go-template={{.metadata.name":       "error parsing template {{.metadata.name, template: output:1: unclosed action",
		"-o=go-template-file=/nonexistent/tmpl": "error reading --template /nonexistent/tmpl, open /nonexistent/tmpl: no such file or directory",
		"-o=go-template=":                       "template format specified but no template given",
	} {
		f := NewPrintFlags("wide")
		cmd := &cobra.Command{}
		f.AddFlags(cmd)
		if err := cmd.ParseFlags([]string{args}); err != nil {
			t.Fatal(err)
		}
		if err := f.PrintObjects(&bytes.Buffer{}, pods()...); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", args, err, want)
		}
		if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "allowed formats are wide, json, yaml, kyaml, name, go-template,") {
			t.Errorf("%s: Validate gave %v", args, err)
		}
	}
}

// TestTemplateWithoutOutputIsHuman keeps --template alone from changing what the commands
// draw, while a printer asked for directly still honours it as kubectl does.
func TestTemplateWithoutOutputIsHuman(t *testing.T) {
	f := NewPrintFlags("wide")
	cmd := &cobra.Command{}
	f.AddFlags(cmd)
	if err := cmd.ParseFlags([]string{"--template", "{{.kind}}"}); err != nil {
		t.Fatal(err)
	}
	if !f.IsHuman() {
		t.Fatal("--template without -o made the output non-human")
	}
	var buf bytes.Buffer
	if err := f.PrintObjects(&buf, pods()[0]); err != nil || buf.String() != "Pod" {
		t.Fatalf("got %q, %v", buf.String(), err)
	}
}
