package cmdutil_test

import (
	"encoding/json"
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
