//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-katib/plugins/pkg/arch"
)

// archPod is a Pod manifest on an image already in the node's containerd, with requests and
// the restart policy the test needs.
func archPod(name, image string, args []string, restart string, requests map[string]string) []byte {
	container := map[string]any{"name": "main", "image": image, "imagePullPolicy": "Never",
		"resources": map[string]any{"requests": requests}}
	if len(args) > 0 {
		container["args"] = args
	}
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"restartPolicy": restart, "terminationGracePeriodSeconds": 1, "containers": []any{container}},
	})
	return b
}

// describeFacts is what `kubectl describe node` says of a node's cpu and memory.
type describeFacts struct {
	allocatable map[string]string
	requests    map[string]string
	percent     map[string]string
}

var (
	describeLine    = regexp.MustCompile(`^\s+(cpu|memory):\s+(\S+)\s*$`)
	describeRequest = regexp.MustCompile(`^\s+(cpu|memory)\s+(\S+) \((\d+)%\)\s+\S+`)
)

// parseDescribe reads the Allocatable section and the Requests column of the "Allocated
// resources" table.
func parseDescribe(t *testing.T, out string) describeFacts {
	t.Helper()
	f := describeFacts{allocatable: map[string]string{}, requests: map[string]string{}, percent: map[string]string{}}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, " ") && strings.HasSuffix(strings.TrimSpace(line), ":") {
			section = strings.TrimSpace(line)
			continue
		}
		switch section {
		case "Allocatable:":
			if m := describeLine.FindStringSubmatch(line); m != nil {
				f.allocatable[m[1]] = m[2]
			}
		case "Allocated resources:":
			if m := describeRequest.FindStringSubmatch(line); m != nil {
				f.requests[m[1]], f.percent[m[1]] = m[2], m[3]
			}
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if f.allocatable[r] == "" || f.requests[r] == "" {
			t.Fatalf("could not read %s from kubectl describe node:\n%s", r, out)
		}
	}
	return f
}

func sameQuantity(a, b string) bool {
	qa, err1 := resource.ParseQuantity(a)
	qb, err2 := resource.ParseQuantity(b)
	return err1 == nil && err2 == nil && qa.Cmp(qb) == 0
}

// The local node's allocatable cpu and memory and its Pods' requests are the numbers
// kubectl describe node shows, with a Pod of this test's own counted in.
func TestArchCapacityMatchesDescribeNode(t *testing.T) {
	ns := freshNamespace(t, "arch-capacity")
	kubectlIn(t, archPod("requester", "localhost/kubectl-katib/pause:v1", nil, "Never", map[string]string{"cpu": "150m", "memory": "96Mi"}),
		"apply", "-n", ns, "-f", "-")
	kubectl(t, "wait", "-n", ns, "--for=condition=PodScheduled", "pod/requester", "--timeout=60s")

	// Other tests may start or finish Pods while this one reads; the two reads are compared
	// only when describe gives the same answer before and after.
	var node *arch.NodeCapacity
	var facts describeFacts
	for attempt := 0; ; attempt++ {
		before := parseDescribe(t, kubectl(t, "describe", "node", clusterNode))
		var doc arch.Capacity
		archJSON(t, &doc, "explain", "nodes", archCacheDir(t))
		after := parseDescribe(t, kubectl(t, "describe", "node", clusterNode))
		if doc.Kind != "Capacity" || doc.APIVersion != arch.SchemaVersion {
			t.Fatalf("document header: %s %s", doc.APIVersion, doc.Kind)
		}
		node = nil
		for i := range doc.Nodes {
			if doc.Nodes[i].Name == clusterNode {
				node = &doc.Nodes[i]
			}
		}
		if node == nil {
			t.Fatalf("no node %s in %+v", clusterNode, doc.Nodes)
		}
		facts = before
		stable := before.requests["cpu"] == after.requests["cpu"] && before.requests["memory"] == after.requests["memory"]
		if stable || attempt == 5 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for _, r := range []string{"cpu", "memory"} {
		var u *arch.ResourceUsage
		for i := range node.Resources {
			if node.Resources[i].Name == r {
				u = &node.Resources[i]
			}
		}
		if u == nil {
			t.Fatalf("no %s in %+v", r, node.Resources)
		}
		if !sameQuantity(u.Allocatable, facts.allocatable[r]) {
			t.Errorf("%s allocatable %s, describe says %s", r, u.Allocatable, facts.allocatable[r])
		}
		if !sameQuantity(u.Requested, facts.requests[r]) {
			t.Errorf("%s requested %s, describe says %s", r, u.Requested, facts.requests[r])
		}
		if u.Percent == nil || fmt.Sprint(*u.Percent) != facts.percent[r] {
			t.Errorf("%s percent %v, describe says %s%%", r, u.Percent, facts.percent[r])
		}
	}
	found := false
	for _, p := range node.TopPods {
		found = found || p.Namespace == ns && p.Name == "requester"
	}
	if !found && len(node.TopPods) < 3 {
		t.Errorf("the test's Pod should be among the largest: %+v", node.TopPods)
	}

	out := kubectl(t, "arch", "explain", "capacity", archCacheDir(t))
	for _, want := range []string{"Nodes", "NODE", "CPU", "MEMORY", clusterNode, "Pools", "Largest requests per node"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	t.Logf("kubectl arch explain capacity:\n%s", out)
}

// A Pod whose container keeps exiting 1 and a Pod asking for 1000 CPUs are named in the
// overview's findings with their reasons, in JSON and in the text.
func TestArchFindingsNameCrashLoopAndPending(t *testing.T) {
	ns := freshNamespace(t, "arch-findings")
	kubectlIn(t, archPod("crasher", echoMetricImage, []string{"--print", "starting", "--exit", "1"}, "Always", map[string]string{"cpu": "10m"}),
		"apply", "-n", ns, "-f", "-")
	kubectlIn(t, archPod("huge", "localhost/kubectl-katib/pause:v1", nil, "Never", map[string]string{"cpu": "1000"}),
		"apply", "-n", ns, "-f", "-")

	// The kubelet backs off after the second failure; the scheduler marks the other Pod
	// unschedulable within seconds.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		waiting := kubectl(t, "get", "pod", "-n", ns, "crasher", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}")
		scheduled := kubectl(t, "get", "pod", "-n", ns, "huge", "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}`)
		if waiting == "CrashLoopBackOff" && scheduled == "False" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("crasher waiting %q, huge scheduled %q after 2 minutes", waiting, scheduled)
		}
		time.Sleep(2 * time.Second)
	}

	var m arch.Model
	archJSON(t, &m, "explain", archCacheDir(t))
	byName := map[string]arch.Finding{}
	for _, f := range m.Findings {
		if f.Namespace == ns {
			byName[f.Name] = f
		}
	}
	if f, ok := byName["crasher"]; !ok || f.Kind != "Pod" || f.Severity != "error" || f.Reason != "CrashLoopBackOff" ||
		!strings.Contains(f.Message, "container main restarted") || !strings.Contains(f.Message, "exit code 1") {
		t.Errorf("crasher finding: %+v (all: %+v)", f, m.Findings)
	}
	if f, ok := byName["huge"]; !ok || f.Kind != "Pod" || f.Reason != "Unschedulable" || !strings.Contains(f.Message, "Insufficient cpu") {
		t.Errorf("huge finding: %+v (all: %+v)", f, m.Findings)
	}

	out := kubectl(t, "arch", "explain", archCacheDir(t))
	i := strings.Index(out, "\nFindings\n")
	if i < 0 {
		t.Fatalf("no Findings section:\n%s", out)
	}
	section := out[i:]
	if j := strings.Index(section, "\nWhat each part does"); j >= 0 {
		section = section[:j]
	}
	flat := strings.Join(strings.Fields(section), " ")
	for _, want := range []string{"ERROR Pod " + ns + "/crasher: CrashLoopBackOff: container main restarted",
		"WARNING Pod " + ns + "/huge: Unschedulable:", "Insufficient cpu"} {
		if !strings.Contains(flat, want) {
			t.Errorf("findings lack %q:\n%s", want, section)
		}
	}
	t.Logf("findings section:%s", section)
}
