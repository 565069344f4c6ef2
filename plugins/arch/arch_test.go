package arch

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/internal/golden"
	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCmdArch(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestOfflineCommands(t *testing.T) {
	for name, args := range map[string][]string{
		"cmd-explain-offline":          {"explain", "--offline"},
		"cmd-view-offline":             {"view", "--offline"},
		"cmd-explain-etcd-offline":     {"explain", "etcd", "--offline"},
		"cmd-explain-operator-offline": {"explain", "operator", "--offline"},
		"cmd-view-offline.mermaid":     {"view", "--offline", "-o", "mermaid"},
		"cmd-view-offline.dot":         {"view", "--offline", "-o", "dot"},
	} {
		out, _, err := run(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		golden.Assert(t, "arch/"+name+".golden", []byte(out))
	}
	out, _, err := run(t, "view", "--offline", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m archpkg.Model
	if err := json.Unmarshal([]byte(out), &m); err != nil || !m.Offline || m.Kind != "Architecture" {
		t.Fatalf("json: %v %+v", err, m)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "--offline", "-o", "png"},
		{"explain", "--offline", "--refresh"},
		{"explain", "a", "b"},
		{"view", "extra"},
		{"explain", "deployments", "--offline"},
	} {
		_, _, err := run(t, args...)
		if exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%v: want exit 2, got %d (%v)", args, exitcode.Of(err), err)
		}
	}
	// The formats are named in words, with what leaving -o out gives.
	_, _, err := run(t, "explain", "--offline", "-o", "png")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown output format "png": use dot, mermaid, svg, json, yaml,`) || !strings.HasSuffix(err.Error(), "jsonpath-file; without -o, the terminal drawing") {
		t.Errorf("explain -o png: %v", err)
	}
	_, _, err = run(t, "api-resources", "-o", "png")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown output format "png": use wide, json, yaml,`) || !strings.HasSuffix(err.Error(), "; without -o, a table per group") {
		t.Errorf("api-resources -o png: %v", err)
	}
}

// An unreachable cluster names the kubeconfig and context, suggests --offline, exits 1.
func TestUnreachableCluster(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: gone-ctx
  context: {cluster: gone, user: nobody}
current-context: gone-ctx
users:
- name: nobody
  user: {token: x}
`
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"explain", "view", "api-resources", "api-versions"} {
		_, _, err := run(t, cmd, "--kubeconfig", kc, "--cache-dir", filepath.Join(dir, "cache"))
		if exitcode.Of(err) != exitcode.Failure {
			t.Fatalf("%s: want exit 1, got %d (%v)", cmd, exitcode.Of(err), err)
		}
		for _, want := range []string{kc, "gone-ctx", "--offline"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error lacks %q: %v", cmd, want, err)
			}
		}
	}
}

func apiModel(t *testing.T) []archpkg.APIGroup {
	src := archtest.Kubeadm()
	src.APIOnly = true
	m, err := archpkg.Discover(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return m.APIGroups
}

func TestAPIListings(t *testing.T) {
	groups := apiModel(t)
	var buf bytes.Buffer
	if err := present.WriteAPIVersions(&buf, groups, render.Style{}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/api-versions.golden", buf.Bytes())
	buf.Reset()
	if err := present.WriteAPIResources(&buf, groups, false, render.Style{}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/api-resources.golden", buf.Bytes())

	if got := archpkg.FilterAPIGroups(groups, archpkg.APIFilter{Resources: true, Group: "apps", Verbs: []string{"list", "watch"}}); len(got) != 1 || got[0].Name != "apps" {
		t.Errorf("--group apps: %+v", got)
	}
	for _, g := range archpkg.FilterAPIGroups(groups, archpkg.APIFilter{Resources: true, Namespaced: ptr.To(false)}) {
		for _, r := range g.Resources {
			if r.Namespaced {
				t.Errorf("--namespaced=false kept %s", r.Name)
			}
		}
	}
	if got := archpkg.FilterAPIGroups(groups, archpkg.APIFilter{Resources: true, Verbs: []string{"escalate"}}); len(got) != 0 {
		t.Errorf("--verbs escalate kept %d groups", len(got))
	}
	if got := archpkg.FilterAPIGroups(groups, archpkg.APIFilter{Group: "core"}); len(got) != 1 || got[0].Name != "" {
		t.Errorf("--group core: %+v", got)
	}
}

// kubectl's printers work on the architecture document as on any object.
func TestPrinterFormats(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"view", "--offline", "-o", "name"}, "architecture.arch.kubectl-katib.io/offline\n"},
		{[]string{"view", "--offline", "-o", "jsonpath={.kind} {.metadata.name} {.offline}"}, "Architecture offline true"},
		{[]string{"explain", "--offline", "-o", "go-template={{.kind}}/{{.metadata.name}}"}, "Architecture/offline"},
		{[]string{"explain", "etcd", "--offline", "-o", "jsonpath={.metadata.name}"}, "etcd"},
		{[]string{"explain", "etcd", "--offline", "-o", "name"}, "componentexplanation.arch.kubectl-katib.io/etcd\n"},
	} {
		out, _, err := run(t, tc.args...)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if out != tc.want {
			t.Errorf("%v printed %q, want %q", tc.args, out, tc.want)
		}
	}
	out, _, err := run(t, "view", "--offline", "-o", "yaml")
	if err != nil || !strings.Contains(out, "kind: Architecture\n") || !strings.Contains(out, "  name: offline\n") {
		t.Errorf("-o yaml: %v\n%s", err, out)
	}
}

// KUBECTL_ARCH_TRACE sends the read timings to the command's error stream; without it the
// error stream holds nothing but what the command itself says.
func TestTraceGoesToTheErrorStream(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: \"https://127.0.0.1:1\"}\n" +
		"contexts:\n- name: gone-ctx\n  context: {cluster: gone, user: nobody}\ncurrent-context: gone-ctx\nusers:\n- name: nobody\n  user: {token: x}\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"api-versions", "--kubeconfig", kc, "--cache-dir", filepath.Join(dir, "cache")}
	if _, errOut, _ := run(t, args...); errOut != "" {
		t.Errorf("without the variable the error stream got %q", errOut)
	}
	t.Setenv("KUBECTL_ARCH_TRACE", "1")
	if _, errOut, _ := run(t, args...); !strings.Contains(errOut, "connected: +") || !strings.Contains(errOut, "load: ") {
		t.Errorf("trace: %q", errOut)
	}
}
