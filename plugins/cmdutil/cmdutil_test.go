package cmdutil_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/buildinfo"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/plugins/arch"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
	"github.com/kubectl-katib/plugins/plugins/katib"
)

type rootFn func(genericiooptions.IOStreams) *cobra.Command

var roots = map[string]rootFn{"katib": katib.NewCmdKatib, "arch": arch.NewCmdArch}

func run(t *testing.T, newRoot rootFn, args ...string) (string, string, error) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := newRoot(streams)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestRootHelp(t *testing.T) {
	// The --cache-dir default is derived from HOME; pin it so the golden file is portable.
	t.Setenv("HOME", "/home/user")
	t.Setenv("KUBECACHEDIR", "")
	for name, newRoot := range roots {
		out, _, err := run(t, newRoot, "--help")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "kubectl "+name+" [command]") {
			t.Errorf("%s: help does not read 'kubectl %s [command]':\n%s", name, name, out)
		}
		for _, flag := range []string{"--kubeconfig", "--context", "--cluster", "--user", "--namespace", "--as", "--request-timeout"} {
			if !strings.Contains(out, flag) {
				t.Errorf("%s: help lacks kubectl global flag %s", name, flag)
			}
		}
		golden.Assert(t, "help/"+name+".golden", []byte(out))
	}
}

func TestEveryCommandHasExamples(t *testing.T) {
	for name, newRoot := range roots {
		var walk func(c *cobra.Command)
		walk = func(c *cobra.Command) {
			if c.IsAvailableCommand() && c.Name() != "help" && c.Example == "" {
				t.Errorf("%s: %q has no examples", name, c.CommandPath())
			}
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		streams, _, _, _ := genericiooptions.NewTestIOStreams()
		walk(newRoot(streams))
	}
}

func TestGlobalFlagsAfterPluginName(t *testing.T) {
	// The version is package state every other test sees; put it back so their outcome
	// does not depend on the order tests run in.
	saved := buildinfo.Version
	t.Cleanup(func() { buildinfo.Version = saved })
	buildinfo.Version = "v9.9.9-test"
	for name, newRoot := range roots {
		out, _, err := run(t, newRoot, "--context", "x", "-n", "y", "--request-timeout=5s", "version", "-o", "json")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var info buildinfo.Info
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("%s: version -o json does not parse: %v\n%s", name, err, out)
		}
		if info.Version != "v9.9.9-test" || info.GoVersion == "" || info.Platform == "" {
			t.Errorf("%s: incomplete version info %+v", name, info)
		}
	}
}

func TestVersionFormats(t *testing.T) {
	out, _, err := run(t, katib.NewCmdKatib, "version", "-o", "yaml")
	if err != nil || !strings.Contains(out, "goVersion: go") {
		t.Fatalf("yaml: %v\n%s", err, out)
	}
	out, _, err = run(t, katib.NewCmdKatib, "version")
	if err != nil || !strings.HasPrefix(out, "Version: ") {
		t.Fatalf("plain: %v\n%s", err, out)
	}
	_, _, err = run(t, katib.NewCmdKatib, "version", "-o", "xml")
	if exitcode.Of(err) != exitcode.Usage {
		t.Fatalf("bad -o should be a usage error, got %v", err)
	}
}

// failing is a plugin root with one command, fail, that returns err.
func failing(err error) rootFn {
	return func(streams genericiooptions.IOStreams) *cobra.Command {
		root, _ := cmdutil.NewRoot("test", "", "", "", streams)
		root.AddCommand(&cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error { return err }})
		return root
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		newRoot rootFn
		args    []string
		want    int
		message string
	}{
		{"unknown command", katib.NewCmdKatib, []string{"bogus"}, exitcode.Usage, `unknown command "bogus" for "kubectl katib"`},
		{"unknown command after global flags", arch.NewCmdArch, []string{"--context", "x", "-n", "y", "bogus"}, exitcode.Usage, `unknown command "bogus" for "kubectl arch"`},
		{"misspelt command gets a suggestion", katib.NewCmdKatib, []string{"valdate"}, exitcode.Usage, "Did you mean this?\n\tvalidate"},
		{"unknown flag", arch.NewCmdArch, []string{"version", "--no-such-flag"}, exitcode.Usage, "unknown flag: --no-such-flag"},
		{"bad output format", katib.NewCmdKatib, []string{"version", "-o", "xml"}, exitcode.Usage, "xml"},
		{"success", katib.NewCmdKatib, []string{"version"}, exitcode.OK, ""},
		{"help", arch.NewCmdArch, nil, exitcode.OK, ""},
		{"a failure that is not about usage", failing(errors.New("the cluster said no")), []string{"fail"}, exitcode.Failure, "the cluster said no"},
		{"a failure already reported", failing(exitcode.Silent{Code: exitcode.Interrupted}), []string{"fail"}, exitcode.Interrupted, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.newRoot, tc.args...)
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			if got := cmdutil.ExitCode(tc.newRoot(streams), tc.args, err); got != tc.want {
				t.Errorf("exit %d, want %d (%v)", got, tc.want, err)
			}
			if tc.message != "" && (err == nil || !strings.Contains(err.Error(), tc.message)) {
				t.Errorf("error %v does not say %q", err, tc.message)
			}
		})
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	_, _, err := run(t, arch.NewCmdArch, "version", "--no-such-flag")
	if exitcode.Of(err) != exitcode.Usage {
		t.Fatalf("want exit 2, got %d (%v)", exitcode.Of(err), err)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, err := run(t, katib.NewCmdKatib, "completion", shell)
		if err != nil || !strings.Contains(out, "kubectl-katib") {
			t.Errorf("%s: %v", shell, err)
		}
	}
	dir := t.TempDir()
	out, _, err := run(t, arch.NewCmdArch, "completion", "kubectl-helper", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(dir, "kubectl_complete-arch"))
	if err != nil || !strings.Contains(string(script), "kubectl-arch __complete") || !strings.Contains(out, "wrote") {
		t.Fatalf("helper script: %v\n%s", err, script)
	}
	// cobra's hidden __complete command is what kubectl's helper calls.
	out, _, err = run(t, katib.NewCmdKatib, "__complete", "ver")
	if err != nil || !strings.Contains(out, "version") {
		t.Fatalf("__complete: %v\n%s", err, out)
	}
}
