//go:build e2e

package e2e

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
)

func TestArchOverviewNamesTheControlPlaneAndNode(t *testing.T) {
	var m arch.Model
	// On a cluster that has just started, the scheduler and controller-manager may not have
	// taken their leader Leases yet.
	deadline := time.Now().Add(90 * time.Second)
	for {
		archJSON(t, &m, "explain", archCacheDir(t))
		s, c := m.Component("kube-scheduler"), m.Component("kube-controller-manager")
		if s != nil && s.Leader != nil && c != nil && c.Leader != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	api := m.Component("kube-apiserver")
	if api == nil || api.Version == "" || api.Health != "ok" {
		t.Errorf("kube-apiserver: %+v", api)
	}
	etcd := m.Component("etcd")
	if etcd == nil || etcd.Health != "ok" || len(etcd.Checks) == 0 {
		t.Errorf("etcd should be seen through /readyz: %+v", etcd)
	}
	for _, name := range []string{"kube-scheduler", "kube-controller-manager"} {
		c := m.Component(name)
		if c == nil || c.Leader == nil || c.Leader.Holder == "" {
			t.Errorf("%s has no leader holder: %+v", name, c)
		}
	}
	var node *arch.Node
	for i := range m.Nodes {
		if m.Nodes[i].Name == "localhost" {
			node = &m.Nodes[i]
		}
	}
	if node == nil || node.KubeletVersion == "" || node.ContainerRuntime != "containerd" || node.RuntimeVersion == "" {
		t.Fatalf("node localhost with kubelet and containerd: %+v", m.Nodes)
	}

	out := kubectl(t, "arch", "explain", archCacheDir(t))
	for _, want := range []string{"kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager",
		"leader " + present.ShortHolder(m.Component("kube-scheduler").Leader.Holder), "Node localhost", "kubelet",
		"version " + node.KubeletVersion, "containerd " + node.RuntimeVersion, "What each part does",
		"API groups (served by kube-apiserver)", "core, apps, batch"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview lacks %q:\n%s", want, out)
		}
	}
	for i, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 80 && !strings.Contains(line, "https://") {
			t.Errorf("line %d wider than 80 columns: %q", i+1, line)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes in output that is not a terminal")
	}

	out = kubectl(t, "arch", "explain", "kube-scheduler", archCacheDir(t))
	if !strings.Contains(out, "leader: "+m.Component("kube-scheduler").Leader.Holder[:10]) {
		t.Errorf("explain kube-scheduler does not show its leader:\n%s", out)
	}
}

func TestArchInfersTheOperatorOfACustomResource(t *testing.T) {
	fixture := filepath.Join(repoRoot(), "testdata", "arch", "e2e", "operator.yaml")
	if out, _, code := runKubectlEnv(nil, "get", "crd", "experiments.kubeflow.org", "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/part-of}"); code == 0 && out != "arch-e2e" {
		t.Skip("experiments.kubeflow.org exists and belongs to something else; not touching it")
	}
	// A namespace left terminating by an earlier run would reject the apply.
	if phase, _, _ := runKubectlEnv(nil, "get", "namespace", "arch-e2e", "-o", "jsonpath={.status.phase}"); phase == "Terminating" {
		runKubectlEnv(nil, "wait", "--for=delete", "namespace/arch-e2e", "--timeout=120s")
	}
	t.Cleanup(func() {
		runKubectlEnv(nil, "delete", "-f", fixture, "--ignore-not-found", "--wait=false")
	})
	kubectl(t, "apply", "-f", fixture)
	kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/experiments.kubeflow.org", "crd/suggestions.kubeflow.org")

	cache := archCacheDir(t)
	var m arch.Model
	// The Deployment's RBAC may land a moment after the CRD; the model is read fresh each try.
	deadline := time.Now().Add(30 * time.Second)
	for {
		archJSON(t, &m, "explain", cache, "--refresh")
		if c := m.FindCRD("experiments.kubeflow.org"); c != nil && c.Operator != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	c := m.FindCRD("experiments.kubeflow.org")
	if c == nil || c.Operator == nil {
		t.Fatalf("experiments.kubeflow.org has no operator: %+v", c)
	}
	if c.Operator.Ref() != "arch-e2e/experiment-controller" || !strings.Contains(strings.Join(c.Operator.Evidence, " "), "ServiceAccount experiment-controller") {
		t.Errorf("operator: %+v", c.Operator)
	}
	// Known only by the admission webhook it serves, and running as a StatefulSet.
	if s := m.FindCRD("suggestions.kubeflow.org"); s == nil || s.Operator == nil || s.Operator.Kind != "StatefulSet" ||
		s.Operator.Ref() != "arch-e2e/suggestion-controller" ||
		!strings.Contains(strings.Join(s.Operator.Evidence, " "), "validating admission webhook validate.suggestions.arch-e2e.example.io") {
		t.Errorf("suggestions.kubeflow.org operator: %+v", s)
	}
	custom := false
	for _, g := range m.APIGroups {
		if g.Name == "kubeflow.org" && !g.BuiltIn {
			custom = true
		}
	}
	if !custom {
		t.Errorf("kubeflow.org is not listed as a custom group")
	}

	out := kubectl(t, "arch", "explain", cache)
	for _, want := range []string{"Custom resources and operators", "kubeflow.org", "experiment-controller",
		"experiments.kubeflow.org (Experiment): reconciled by deployment", "A custom resource plus a controller that manages it"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview lacks %q:\n%s", want, out)
		}
	}
	// The suggestions webhook is drawn with who answers it and what it intercepts.
	var hook *arch.Webhook
	for i := range m.Webhooks {
		if m.Webhooks[i].Name == "validate.suggestions.arch-e2e.example.io" {
			hook = &m.Webhooks[i]
		}
	}
	if hook == nil || hook.Kind != "validating" || hook.FailurePolicy != "Ignore" || hook.Service != "arch-e2e/suggestion-webhook" ||
		hook.ServedBy != "statefulset arch-e2e/suggestion-controller" || strings.Join(hook.Intercepts, ";") != "CREATE,UPDATE suggestions.kubeflow.org" {
		t.Errorf("webhook: %+v", hook)
	}
	for _, want := range []string{"Admission webhooks (called by kube-apiserver on writes)", "arch-e2e-suggestions", "failurePolicy Ignore"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview lacks %q:\n%s", want, out)
		}
	}
	out = kubectl(t, "arch", "explain", "webhooks", cache)
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "validate.suggestions.arch-e2e.example.io (validating, configuration arch-e2e-suggestions): CREATE,UPDATE suggestions.kubeflow.org; answered by statefulset arch-e2e/suggestion-controller") {
		t.Errorf("explain webhooks does not list this cluster's webhook:\n%s", out)
	}
	out = kubectl(t, "arch", "explain", "suggestions.kubeflow.org", cache)
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "calls the validating webhook validate.suggestions.arch-e2e.example.io (failurePolicy Ignore) on CREATE,UPDATE suggestions.kubeflow.org") {
		t.Errorf("explain suggestions.kubeflow.org does not name the webhook its writes go through:\n%s", out)
	}
	out = kubectl(t, "arch", "explain", "experiments.kubeflow.org", cache)
	for _, want := range []string{"KIND: Experiment", "custom (CustomResourceDefinition)", "operator deployment arch-e2e/experiment-controller", "Schema-less"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain experiments.kubeflow.org lacks %q:\n%s", want, out)
		}
	}
	out = kubectl(t, "arch", "explain", "operator", cache)
	if !strings.Contains(out, "arch-e2e/experiment-controller") {
		t.Errorf("explain operator does not use this cluster's CRD:\n%s", out)
	}
	out = kubectl(t, "arch", "api-resources", "--group", "kubeflow.org", cache)
	if !strings.Contains(out, "kubeflow.org (custom)") || !strings.Contains(out, "experiments") {
		t.Errorf("api-resources --group kubeflow.org:\n%s", out)
	}
	out = kubectl(t, "arch", "api-versions", cache)
	if !strings.Contains(out, "kubeflow.org/v1beta1") || !strings.Contains(out, "apps (built-in)") {
		t.Errorf("api-versions:\n%s", out)
	}
}

func TestArchExplainResources(t *testing.T) {
	cache := archCacheDir(t)
	out := kubectl(t, "arch", "explain", "deployments.apps", cache)
	for _, want := range []string{"KIND: Deployment", "deployment controller (kube-controller-manager)", "ReplicaSet", "kube-scheduler", "kubelet", "container runtime", "spec\t<DeploymentSpec>"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain deployments.apps lacks %q:\n%s", want, out)
		}
	}
	out = kubectl(t, "arch", "explain", "po.spec.containers", "--recursive", cache)
	if !strings.Contains(out, "Fields of Pod.spec.containers") || !strings.Contains(out, "\n    containerPort\t<integer>") {
		t.Errorf("explain po.spec.containers --recursive:\n%s", out)
	}
	out = kubectl(t, "arch", "api-resources", "--namespaced=false", "--verbs", "list", cache)
	if !strings.Contains(out, "nodes") || strings.Contains(out, "\n  pods ") {
		t.Errorf("api-resources --namespaced=false:\n%s", out)
	}
	// kubectl's printers, and kubectl's own -o name lines for api-resources and api-versions.
	names := kubectl(t, "arch", "api-resources", "-o", "name", cache)
	want := kubectl(t, "api-resources", "-o", "name")
	for _, n := range []string{"pods", "deployments.apps", "customresourcedefinitions.apiextensions.k8s.io"} {
		if !strings.Contains("\n"+names, "\n"+n+"\n") || !strings.Contains("\n"+want, "\n"+n+"\n") {
			t.Errorf("api-resources -o name lacks %s:\n%s", n, names)
		}
	}
	if got := kubectl(t, "arch", "api-versions", "-o", "jsonpath={.items[?(@.name==\"apps\")].preferredVersion}", cache); got != "v1" {
		t.Errorf("api-versions -o jsonpath: %q", got)
	}
	ctx := strings.TrimSpace(kubectl(t, "config", "current-context"))
	if got := kubectl(t, "arch", "explain", "-o", "go-template={{.kind}} {{.metadata.name}} {{len .nodes}}", cache); got != "Architecture "+ctx+" 1" {
		t.Errorf("explain -o go-template: %q, want %q", got, "Architecture "+ctx+" 1")
	}
}

func TestArchRestrictedUserGetsAPartialView(t *testing.T) {
	kc := filepath.Join(filepath.Dir(os.Getenv("KUBECONFIG")), "restricted.kubeconfig")
	if _, err := os.Stat(kc); err != nil {
		t.Skipf("no restricted kubeconfig next to KUBECONFIG: %v", err)
	}
	out, errOut, code := runKubectlEnv([]string{"KUBECONFIG=" + kc}, "arch", "explain", archCacheDir(t))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Partial view", "Not allowed to read nodes", "kube-apiserver", "etcd"} {
		if !strings.Contains(out, want) {
			t.Errorf("restricted view lacks %q:\n%s", want, out)
		}
	}
}

func TestArchUnreachableClusterSuggestsOffline(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "gone.kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: \"https://127.0.0.1:1\"}\n" +
		"contexts:\n- name: gone-ctx\n  context: {cluster: gone, user: nobody}\ncurrent-context: gone-ctx\n" +
		"users:\n- name: nobody\n  user: {token: x}\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runKubectlEnv([]string{"KUBECONFIG=" + kc}, "arch", "explain", archCacheDir(t))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{kc, "gone-ctx", "--offline"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error lacks %q: %s", want, errOut)
		}
	}
	out, errOut, code = runKubectlEnv([]string{"KUBECONFIG=" + kc}, "arch", "explain", "--offline")
	if code != 0 || !strings.Contains(out, "generic, offline") {
		t.Errorf("--offline: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestArchDiagramFormats(t *testing.T) {
	cache := archCacheDir(t)
	svg := kubectl(t, "arch", "view", "-o", "svg", cache)
	d := xml.NewDecoder(bytes.NewReader([]byte(svg)))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
	}
	if dot := kubectl(t, "arch", "view", "-o", "dot", cache); !strings.HasPrefix(dot, "digraph architecture {") {
		t.Errorf("dot:\n%s", dot)
	}
	if mm := kubectl(t, "arch", "view", "-o", "mermaid", cache); !strings.Contains(mm, "flowchart TB") {
		t.Errorf("mermaid:\n%s", mm)
	}
	if y := kubectl(t, "arch", "view", "-o", "yaml", cache); !strings.Contains(y, "kind: Architecture") {
		t.Errorf("yaml:\n%s", y)
	}
}

// An extension API server that does not answer is the usual cause of "unable to retrieve
// the complete list of server APIs"; the overview names the group, its Service and why.
func TestArchNamesAnUnavailableAggregatedAPI(t *testing.T) {
	fixture := filepath.Join(repoRoot(), "testdata", "arch", "e2e", "aggregated.yaml")
	// While the APIService exists, namespace deletion and discovery report errors for its
	// group, so it is removed as soon as the test is done.
	t.Cleanup(func() { runKubectlEnv(nil, "delete", "-f", fixture, "--ignore-not-found") })
	kubectl(t, "apply", "-f", fixture)

	const group = "metrics.arch-e2e.example.io"
	var g *arch.APIGroup
	var m arch.Model
	deadline := time.Now().Add(60 * time.Second)
	for {
		archJSON(t, &m, "explain", archCacheDir(t))
		g = nil
		for i := range m.APIGroups {
			if m.APIGroups[i].Name == group {
				g = &m.APIGroups[i]
			}
		}
		// The API server marks the APIService unavailable once it has looked for the Service.
		if g != nil && g.Aggregated != nil && g.Aggregated.Reason != "" && g.Aggregated.Reason != "NoStatus" || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if g == nil || g.Aggregated == nil {
		t.Fatalf("%s is not in the model as an aggregated group: %+v", group, g)
	}
	if g.Aggregated.Service != "arch-e2e-aggregated/missing-metrics-server" || g.Aggregated.Available || g.Aggregated.Reason != "ServiceNotFound" {
		t.Errorf("aggregated API: %+v", g.Aggregated)
	}
	if g.BuiltIn {
		t.Errorf("%s is counted as built-in", group)
	}
	warnings := strings.Join(m.Warnings, "\n")
	if !strings.Contains(warnings, "The extension API server for "+group+" (Service arch-e2e-aggregated/missing-metrics-server) is not available (ServiceNotFound") {
		t.Errorf("warnings do not explain the unavailable group:\n%s", warnings)
	}

	out := kubectl(t, "arch", "explain", archCacheDir(t))
	for _, want := range []string{"Attention: 1 warning(s)", "aggregated groups", group, "via arch-e2e-aggregated/", "missing-metrics-server", "unavailable: ServiceNotFound", "Warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview lacks %q:\n%s", want, out)
		}
	}
	out = kubectl(t, "arch", "api-versions", archCacheDir(t))
	if !strings.Contains(out, group+" (custom, aggregated: Service arch-e2e-aggregated/missing-metrics-server, unavailable)") {
		t.Errorf("api-versions does not mark the group:\n%s", out)
	}
}

// Cached discovery (kept for hours) must not hide a CRD created since, nor show one deleted
// since: the model is checked against the CRDs read live.
func TestArchCachedDiscoveryFollowsCRDs(t *testing.T) {
	fixture := filepath.Join(repoRoot(), "testdata", "arch", "e2e", "stale.yaml")
	const group = "stale.arch-e2e.example.io"
	t.Cleanup(func() { runKubectlEnv(nil, "delete", "-f", fixture, "--ignore-not-found") })
	cacheDir := t.TempDir()
	cache := "--cache-dir=" + cacheDir
	has := func() bool {
		// Dropping the reused model leaves only the disk-cached discovery in play.
		if err := os.RemoveAll(filepath.Join(cacheDir, "kubectl-arch")); err != nil {
			t.Fatal(err)
		}
		var m arch.Model
		archJSON(t, &m, "explain", cache)
		for _, g := range m.APIGroups {
			if g.Name == group {
				return true
			}
		}
		return false
	}
	if has() {
		t.Fatalf("%s is served before its CRD exists", group)
	}
	kubectl(t, "apply", "-f", fixture)
	kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/gadgets."+group)
	if !has() {
		t.Errorf("a CRD created after discovery was cached is missing")
	}
	kubectl(t, "delete", "-f", fixture, "--wait=true")
	// The API server drops the group from discovery shortly after the CRD is gone.
	deadline := time.Now().Add(20 * time.Second)
	for has() {
		if time.Now().After(deadline) {
			t.Fatalf("a CRD deleted after discovery was cached is still shown")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// A webhook with no ready Pod behind it is a warning with what it does to writes.
func TestArchWarnsOfAWebhookWithNoReadyPod(t *testing.T) {
	fixture := filepath.Join(repoRoot(), "testdata", "arch", "e2e", "down-webhook.yaml")
	if phase, _, _ := runKubectlEnv(nil, "get", "namespace", "arch-e2e-down", "-o", "jsonpath={.status.phase}"); phase == "Terminating" {
		runKubectlEnv(nil, "wait", "--for=delete", "namespace/arch-e2e-down", "--timeout=120s")
	}
	t.Cleanup(func() { runKubectlEnv(nil, "delete", "-f", fixture, "--ignore-not-found", "--wait=false") })
	kubectl(t, "apply", "-f", fixture)

	var m arch.Model
	archJSON(t, &m, "explain", archCacheDir(t))
	want := "The validating webhook validate.widgets.down.arch-e2e.example.io is answered by deployment arch-e2e-down/down-webhook, which has no ready Pod (0/1): the writes it intercepts go through unchecked (CREATE widgets.down.arch-e2e.example.io) until it is back."
	if !strings.Contains(strings.Join(m.Warnings, "\n"), want) {
		t.Errorf("warnings lack %q:\n%q", want, m.Warnings)
	}
	out := kubectl(t, "arch", "explain", archCacheDir(t))
	for _, want := range []string{"Attention:", "arch-e2e-down", "no ready Pod behind it", "Warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview lacks %q:\n%s", want, out)
		}
	}
}
