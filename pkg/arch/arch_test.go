package arch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/arch/read"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func discover(t *testing.T, src read.Source) *arch.Model {
	t.Helper()
	m, err := arch.Discover(context.Background(), src)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return m
}

func TestKnowledgeBaseIsComplete(t *testing.T) {
	kb := arch.KB()
	for _, name := range []string{"kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "cloud-controller-manager",
		"kubelet", "kube-proxy", "container-runtime", "coredns", "cni", "pod", "namespace", "api-group", "crd", "operator", "controller"} {
		e, ok := kb.Lookup(name)
		if !ok {
			t.Errorf("no entry %s", name)
			continue
		}
		if e.Summary == "" || e.Does == "" || e.WhenItFails == "" || e.Symptom == "" || !strings.HasPrefix(e.Docs, "https://kubernetes.io/docs/") {
			t.Errorf("entry %s lacks a field or a kubernetes.io link: %+v", name, e)
		}
		for _, other := range e.TalksTo {
			if _, ok := kb.Lookup(other); !ok {
				t.Errorf("%s talks to unknown %s", name, other)
			}
		}
	}
	for res, steps := range kb.Chains {
		for _, s := range steps {
			if s.Produces != "" && kb.Chains[s.Produces] == nil {
				t.Errorf("chain %s produces %s, which has no chain", res, s.Produces)
			}
		}
	}
	chain := kb.Chain("deployments.apps")
	var actors []string
	for _, s := range chain {
		actors = append(actors, s.Actor)
	}
	if got := strings.Join(actors, " > "); got != "deployment controller > replicaset controller > kube-scheduler > kubelet > container runtime" {
		t.Errorf("deployment chain: %s", got)
	}
}

func TestDiscoverKubeadmCluster(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	for _, name := range []string{"kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager"} {
		c := m.Component(name)
		if c == nil || c.Health != "ok" {
			t.Fatalf("%s: %+v", name, c)
		}
	}
	if l := m.Component("kube-scheduler").Leader; l == nil || !strings.HasPrefix(l.Holder, "cp-1_") {
		t.Errorf("scheduler leader: %+v", l)
	}
	if m.Component("etcd").RunsOn != "Pod in kube-system on cp-1" {
		t.Errorf("etcd runs on %q", m.Component("etcd").RunsOn)
	}
	if len(m.Nodes) != 2 || m.Nodes[0].ContainerRuntime != "containerd" || m.Nodes[0].RuntimeVersion != "2.1.4" || m.Nodes[0].Roles[0] != "control-plane" {
		t.Errorf("nodes: %+v", m.Nodes)
	}
	ops := map[string]string{}
	for _, g := range m.CustomResources {
		for _, c := range g.CRDs {
			if c.Operator == nil {
				ops[c.Name] = "unknown"
			} else {
				ops[c.Name] = c.Operator.Ref()
			}
		}
	}
	want := map[string]string{
		"experiments.kubeflow.org":     "kubeflow/katib-controller",
		"trials.kubeflow.org":          "kubeflow/katib-controller",
		"suggestions.kubeflow.org":     "unknown",
		"certificates.cert.example.io": "cert-system/cert-operator",
		"backups.storage.example.io":   "storage/backup-operator",
	}
	for k, v := range want {
		if ops[k] != v {
			t.Errorf("operator of %s = %q, want %q", k, ops[k], v)
		}
	}
	if op := m.FindCRD("backups.storage.example.io").Operator; op.Kind != "StatefulSet" ||
		!strings.Contains(strings.Join(op.Evidence, " "), "validating admission webhook validate.backup-validation.example.io") {
		t.Errorf("backup operator: %+v", op)
	}
	// The cluster-admin-bound web-ui may write anything and the policy engine's webhook sees
	// every group, which says nothing about ownership.
	for _, g := range m.CustomResources {
		for _, c := range g.CRDs {
			for _, cand := range append(c.Candidates, *orNone(c.Operator)) {
				if cand.Name == "web-ui" || cand.Name == "policy-engine" {
					t.Errorf("%s listed as a candidate for %s", cand.Name, c.Name)
				}
			}
		}
	}
	var proxy arch.AddOn
	for _, a := range m.AddOns {
		if a.Name == "kube-proxy" {
			proxy = a
		}
	}
	if proxy.Mode != "ipvs" {
		t.Errorf("kube-proxy mode %q", proxy.Mode)
	}
	var custom []string
	for _, g := range m.APIGroups {
		if !g.BuiltIn {
			custom = append(custom, g.Name)
		}
	}
	if strings.Join(custom, ",") != "cert.example.io,kubeflow.org,storage.example.io" {
		t.Errorf("custom groups %v", custom)
	}
	if len(m.Notes) != 0 {
		t.Errorf("unexpected notes: %v", m.Notes)
	}
}

func orNone(op *arch.Operator) *arch.Operator {
	if op == nil {
		return &arch.Operator{}
	}
	return op
}

// Every output format of the overview, from one fixture, checked against golden files.
func TestOverviewFormats(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	var buf bytes.Buffer
	if err := present.WriteOverview(&buf, m, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	checkWidth(t, buf.String(), 80)
	golden.Assert(t, "arch/overview.golden", buf.Bytes())

	buf.Reset()
	if err := render.Boxes(&buf, present.Graph(m), render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	checkWidth(t, buf.String(), 80)
	golden.Assert(t, "arch/view.golden", buf.Bytes())

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/model.json.golden", append(b, '\n'))
	y, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/model.yaml.golden", y)

	for name, f := range map[string]func(io.Writer, *render.Graph) error{"dot": render.DOT, "mermaid": render.Mermaid, "svg": render.SVG} {
		buf.Reset()
		if err := f(&buf, present.Graph(m)); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "arch/view."+name+".golden", buf.Bytes())
	}
	buf.Reset()
	_ = render.SVG(&buf, present.Graph(m))
	assertXML(t, buf.Bytes())
}

func TestColourOnlyWhenAsked(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	var plain, colour bytes.Buffer
	_ = render.Boxes(&plain, present.Graph(m), render.Style{Width: 80})
	_ = render.Boxes(&colour, present.Graph(m), render.Style{Width: 80, Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain output has escape codes")
	}
	if !strings.Contains(colour.String(), "\x1b[32m") {
		t.Error("coloured output has no green")
	}
	// Colour codes must not change the layout.
	strip := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[2m", "", "\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[36m", "")
	if strip.Replace(colour.String()) != plain.String() {
		t.Error("colour changed the layout")
	}
}

func assertXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
}

// checkWidth measures with go-runewidth rather than render.Width, so a renderer that
// miscounts cells cannot pass by measuring its own output the same wrong way.
func checkWidth(t *testing.T, s string, width int) {
	t.Helper()
	cells := &runewidth.Condition{EastAsianWidth: false}
	for i, line := range strings.Split(s, "\n") {
		// A link is one word and cannot be wrapped; everything else must fit.
		if w := cells.StringWidth(line); w > width && !strings.HasPrefix(strings.TrimSpace(line), "https://") {
			t.Errorf("line %d is %d cells wide: %q", i+1, w, line)
		}
	}
}

func TestManagedClusterRendersWithoutErrors(t *testing.T) {
	m := discover(t, archtest.Managed())
	if m.Cluster.ControlPlaneVisible {
		t.Error("managed control plane reported visible")
	}
	if c := m.Component("etcd"); c == nil || c.Health != "ok" {
		t.Errorf("etcd should be inferred from /readyz: %+v", c)
	}
	if c := m.Component("kube-scheduler"); c == nil || c.Leader != nil || c.Health != "unknown" {
		t.Errorf("scheduler: %+v", c)
	}
	notes := strings.Join(m.Notes, "\n")
	if !strings.Contains(notes, "Leases") || !strings.Contains(notes, "control plane") {
		t.Errorf("notes do not explain the hidden control plane:\n%s", notes)
	}
	var buf bytes.Buffer
	if err := present.WriteOverview(&buf, m, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	checkWidth(t, buf.String(), 80)
	// Four nodes are all drawn: a summary of one node says less than the node itself.
	if strings.Count(buf.String(), "┌─ Node ") != 4 || strings.Contains(buf.String(), "pools") {
		t.Errorf("four nodes should all be drawn in full")
	}
	golden.Assert(t, "arch/managed.golden", buf.Bytes())
	for _, f := range []func(io.Writer, *render.Graph) error{render.DOT, render.Mermaid, render.SVG} {
		if err := f(io.Discard, present.Graph(m)); err != nil {
			t.Fatal(err)
		}
	}
	// The webhook with no ready Pod and the unanswered aggregated API are warnings, not
	// notes about what could not be read.
	warnings := strings.Join(m.Warnings, "\n")
	if len(m.Warnings) != 2 || !strings.Contains(warnings, "validate.provider-policy.example.io is answered by deployment kube-system/policy-webhook, which has no ready Pod (0/1)") ||
		!strings.Contains(warnings, "metrics.k8s.io") {
		t.Errorf("warnings: %q", m.Warnings)
	}
	var svg bytes.Buffer
	_ = render.SVG(&svg, present.Graph(m))
	assertXML(t, svg.Bytes())
	if !strings.Contains(svg.String(), ">Warnings</text>") || !strings.Contains(svg.String(), "policy-webhook, which has no ready Pod") {
		t.Error("the SVG does not show the warnings")
	}
}

func TestRestrictedUserGetsPartialView(t *testing.T) {
	m := discover(t, archtest.Restricted())
	if len(m.Nodes) != 0 {
		t.Errorf("nodes should be unreadable")
	}
	notes := strings.Join(m.Notes, "\n")
	for _, want := range []string{"Not allowed to read nodes", "Not allowed to read CustomResourceDefinitions", "Not allowed to read Leases"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// Custom groups still come from discovery, with their operator unknown.
	if m.FindCRD("experiments.kubeflow.org") == nil {
		t.Errorf("custom resources should be inferred from discovery: %+v", m.CustomResources)
	}
	var buf bytes.Buffer
	if err := present.WriteOverview(&buf, m, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/restricted.golden", buf.Bytes())
}

func TestUnreachableNamesTheContextAndOffline(t *testing.T) {
	_, err := arch.Discover(context.Background(), archtest.Unreachable())
	var u *read.UnreachableError
	if !errors.As(err, &u) {
		t.Fatalf("want UnreachableError, got %v", err)
	}
	for _, want := range []string{"kubernetes-admin@fixture", "--offline", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// A cluster that cannot be reached is reported after the first read: the other reads would
// only wait out the same dial timeout again.
func TestUnreachableFailsAfterTheFirstRead(t *testing.T) {
	src, cs := archtest.Refused()
	_, err := arch.Discover(context.Background(), src)
	var u *read.UnreachableError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("want UnreachableError with the dial error, got %v", err)
	}
	if n := len(cs.Actions()); n != 0 {
		t.Errorf("%d more requests after the first failed: %v", n, cs.Actions())
	}
}

func TestOfflineTeachesEveryPart(t *testing.T) {
	m := arch.Offline()
	var buf bytes.Buffer
	if err := present.WriteOverview(&buf, m, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	checkWidth(t, buf.String(), 80)
	golden.Assert(t, "arch/offline.golden", buf.Bytes())
	buf.Reset()
	_ = render.SVG(&buf, present.Graph(m))
	assertXML(t, buf.Bytes())
	golden.Assert(t, "arch/offline.svg.golden", buf.Bytes())
}

func TestExplainTopics(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	for _, topic := range []string{"kube-scheduler", "etcd", "kubelet", "kube-proxy", "operator", "crd", "admission-webhook"} {
		e, ok := arch.KB().Lookup(topic)
		if !ok {
			t.Fatalf("no topic %s", topic)
		}
		var buf bytes.Buffer
		if err := present.WriteTopic(&buf, arch.ExplainTopic(m, e), render.Style{Width: 80}); err != nil {
			t.Fatal(err)
		}
		checkWidth(t, buf.String(), 80)
		golden.Assert(t, "arch/explain-"+topic+".golden", buf.Bytes())
	}
	e, _ := arch.KB().Lookup("kube-controller-manager")
	var buf bytes.Buffer
	_ = render.Mermaid(&buf, present.TopicGraph(arch.ExplainTopic(m, e)))
	golden.Assert(t, "arch/explain-kube-controller-manager.mermaid.golden", buf.Bytes())

	// metrics-server's live facts include the API group it serves and whether it answers.
	e, _ = arch.KB().Lookup("metrics-server")
	buf.Reset()
	_ = present.WriteTopic(&buf, arch.ExplainTopic(discover(t, archtest.Managed()), e), render.Style{Width: 80})
	if !strings.Contains(strings.Join(strings.Fields(buf.String()), " "),
		"group metrics.k8s.io: forwarded by kube-apiserver to Service kube-system/metrics-server, not available (MissingEndpoints:") {
		t.Errorf("explain metrics-server does not say its API group is down:\n%s", buf.String())
	}
}

func TestExplainResources(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	specs := archtest.Specs{Dir: golden.Path("arch/openapi")}
	for _, tc := range []struct {
		arg, file string
		recursive bool
	}{
		{"deploy", "explain-deployments", false},
		{"deployments.apps.spec", "explain-deployments-spec-recursive", true},
		{"experiments.kubeflow.org", "explain-experiments", false},
		{"certificates", "explain-certificates", false},
	} {
		r, g, path, ok := m.FindResource(tc.arg)
		if !ok {
			t.Fatalf("%s not found", tc.arg)
		}
		e, err := arch.ExplainResource(m, specs, r, g, path)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := present.WriteResource(&buf, e, tc.recursive, render.Style{Width: 80}); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "arch/"+tc.file+".golden", buf.Bytes())
	}
	r, g, _, _ := m.FindResource("deployments.apps")
	e, _ := arch.ExplainResource(m, specs, r, g, nil)
	if strings.Join(e.Path, " -> ") != "Deployment -> deployment controller (kube-controller-manager) -> ReplicaSet -> replicaset controller (kube-controller-manager) -> Pod -> kube-scheduler -> kubelet -> container runtime" {
		t.Errorf("path: %v", e.Path)
	}
	var buf bytes.Buffer
	_ = render.DOT(&buf, present.ChainGraph(e))
	golden.Assert(t, "arch/explain-deployments.dot.golden", buf.Bytes())
	// A group forwarded to an extension API server is explained as such, not as a CRD.
	r, g, path, ok := m.FindResource("nodes.metrics.k8s.io")
	if !ok || g.Aggregated == nil || g.Aggregated.Service != "kube-system/metrics-server" || !g.Aggregated.Available {
		t.Fatalf("nodes.metrics.k8s.io: %v %+v", ok, g)
	}
	e, err := arch.ExplainResource(m, specs, r, g, path)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	_ = present.WriteResource(&buf, e, false, render.Style{Width: 80})
	for _, want := range []string{"KIND: NodeMetrics", "served by the extension API server behind Service kube-system/metrics-server",
		"A resource of an aggregated API", "apiserver-aggregation"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("explain nodes.metrics.k8s.io lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "CustomResourceDefinition") {
		t.Errorf("an aggregated resource is explained as a CRD:\n%s", buf.String())
	}

	// A wrong field names the fields that exist where the path went wrong.
	r, g, path, _ = m.FindResource("deployments.apps.spec.replicaz")
	if _, err := arch.ExplainResource(m, specs, r, g, path); err == nil ||
		!strings.Contains(err.Error(), `field "replicaz" does not exist; fields under spec:`) || !strings.Contains(err.Error(), "replicas") {
		t.Errorf("misspelt field: %v", err)
	}
	if _, _, _, ok := m.FindResource("nosuchthing"); ok {
		t.Error("found a resource that does not exist")
	}
	if r, _, _, ok := m.FindResource("po"); !ok || r.Name != "pods" {
		t.Errorf("short name po: %v", r)
	}
}

// knowledge.json is generated from the YAML sources; `make golden` writes it again after an
// edit to them.
func TestKnowledgeJSONMatchesTheYAML(t *testing.T) {
	k, err := arch.KnowledgeFromYAML()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(k); err != nil {
		t.Fatal(err)
	}
	golden.AssertFile(t, filepath.Join(golden.Root(), "pkg", "arch", filepath.FromSlash(arch.KnowledgeJSON)), b.Bytes())
}
