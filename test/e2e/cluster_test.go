//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	clusterNode          = "localhost"
	clusterK8sVersion    = "v1.36.3"
	restrictedNamespace  = "katib-restricted"
	restrictedKubeconfig = "restricted.kubeconfig"
)

func TestClusterNodeReady(t *testing.T) {
	admin := filepath.Join(clusterDir(t), "admin.kubeconfig")
	var node struct {
		Status struct {
			Conditions []struct{ Type, Status string }
			NodeInfo   struct {
				KubeletVersion          string
				ContainerRuntimeVersion string
			}
		}
	}
	if err := json.Unmarshal([]byte(mustKubectlAs(t, admin, nil, "get", "node", clusterNode, "-o", "json")), &node); err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range node.Status.Conditions {
		if c.Type == "Ready" {
			ready = c.Status == "True"
		}
	}
	if !ready {
		t.Errorf("node %s is not Ready: %+v", clusterNode, node.Status.Conditions)
	}
	if got := node.Status.NodeInfo.KubeletVersion; got != clusterK8sVersion {
		t.Errorf("kubelet version = %q, want %q", got, clusterK8sVersion)
	}
	if got := node.Status.NodeInfo.ContainerRuntimeVersion; !strings.HasPrefix(got, "containerd://") {
		t.Errorf("container runtime = %q, want containerd://...", got)
	}

	var version struct {
		ClientVersion, ServerVersion struct{ GitVersion string }
	}
	if err := json.Unmarshal([]byte(mustKubectlAs(t, admin, nil, "version", "-o", "json")), &version); err != nil {
		t.Fatal(err)
	}
	if version.ServerVersion.GitVersion != clusterK8sVersion || version.ClientVersion.GitVersion != clusterK8sVersion {
		t.Errorf("kubectl version: client %q, server %q; want %s for both (is .cluster/bin first on PATH?)",
			version.ClientVersion.GitVersion, version.ServerVersion.GitVersion, clusterK8sVersion)
	}
	mustKubectlAs(t, admin, nil, "-n", "default", "get", "serviceaccount", "default")
}

func TestClusterRestrictedUser(t *testing.T) {
	restricted := filepath.Join(clusterDir(t), restrictedKubeconfig)
	name := "e2e-restricted-" + uniqueSuffix(t)

	// Allowed in its own namespace: a real Pod, through to Running, its log and its deletion.
	mustKubectlAs(t, restricted, pausePodManifest(name, restrictedNamespace), "create", "-f", "-")
	t.Cleanup(func() {
		_, _, _ = kubectlAs(restricted, nil, "-n", restrictedNamespace, "delete", "pod", name, "--ignore-not-found", "--wait=false")
	})
	mustKubectlAs(t, restricted, nil, "-n", restrictedNamespace, "wait", "pod/"+name, "--for=condition=Ready", "--timeout=90s")
	mustKubectlAs(t, restricted, nil, "-n", restrictedNamespace, "logs", name)
	mustKubectlAs(t, restricted, nil, "-n", restrictedNamespace, "delete", "pod", name, "--timeout=60s")

	// Forbidden everywhere else, and for kinds the Role does not list.
	for _, tc := range []struct {
		what  string
		stdin []byte
		args  []string
	}{
		{"create a Pod in default", pausePodManifest(name, "default"), []string{"create", "--dry-run=server", "-f", "-"}},
		{"list Pods in kube-system", nil, []string{"-n", "kube-system", "get", "pods"}},
		{"list Secrets in its own namespace", nil, []string{"-n", restrictedNamespace, "get", "secrets"}},
		{"list Nodes", nil, []string{"get", "nodes"}},
	} {
		out, errOut, err := kubectlAs(restricted, tc.stdin, tc.args...)
		if err == nil {
			t.Errorf("restricted user could %s:\n%s", tc.what, out)
			continue
		}
		if !strings.Contains(errOut, "Forbidden") && !strings.Contains(errOut, "forbidden") {
			t.Errorf("restricted user: %s failed, but not as Forbidden: %v\n%s", tc.what, err, errOut)
		}
	}

	// What the Role grants, as the API server itself reports it.
	for _, verbResource := range [][2]string{
		{"create", "pods"}, {"get", "pods/log"}, {"watch", "pods"}, {"deletecollection", "pods"},
		{"create", "jobs.batch"}, {"update", "configmaps"}, {"get", "pods/log"},
	} {
		out, _, _ := kubectlAs(restricted, nil, "auth", "can-i", verbResource[0], verbResource[1], "-n", restrictedNamespace)
		if strings.TrimSpace(out) != "yes" {
			t.Errorf("restricted user cannot %s %s in %s: %q", verbResource[0], verbResource[1], restrictedNamespace, out)
		}
	}
	// And nothing beyond the minimal Role README documents.
	for _, verbResource := range [][2]string{{"patch", "configmaps"}, {"list", "secrets"}, {"create", "deployments.apps"}} {
		out, _, _ := kubectlAs(restricted, nil, "auth", "can-i", verbResource[0], verbResource[1], "-n", restrictedNamespace)
		if strings.TrimSpace(out) != "no" {
			t.Errorf("restricted user may %s %s in %s: %q", verbResource[0], verbResource[1], restrictedNamespace, out)
		}
	}
}

func TestClusterAuditLog(t *testing.T) {
	dir := clusterDir(t)
	admin := filepath.Join(dir, "admin.kubeconfig")
	// A request that names an object nobody else uses, so its audit entry is unmistakable;
	// NotFound is still audited.
	marker := "e2e-audit-" + uniqueSuffix(t)
	if _, _, err := kubectlAs(admin, nil, "-n", "default", "get", "configmap", marker); err == nil {
		t.Fatalf("configmap %s unexpectedly exists", marker)
	}

	f, err := os.Open(filepath.Join(dir, "logs", "audit.log"))
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	type entry struct {
		Level     string
		Verb      string
		UserAgent string
		User      struct{ Username string }
		ObjectRef *struct{ Resource, Namespace, Name string }
		Stage     string
	}
	var total, withAgent int
	var found *entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %d is not JSON: %v", total+1, err)
		}
		total++
		if e.UserAgent != "" {
			withAgent++
		}
		if e.ObjectRef != nil && e.ObjectRef.Name == marker {
			found = &e
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if withAgent == 0 {
		t.Fatalf("audit log has %d entries, none with a userAgent", total)
	}
	if found == nil {
		t.Fatalf("no audit entry for configmap %s among %d entries", marker, total)
	}
	if found.Level != "Metadata" || found.Verb != "get" || found.User.Username != "admin" ||
		!strings.HasPrefix(found.UserAgent, "kubectl/") {
		t.Errorf("audit entry for %s = %+v; want level Metadata, verb get, user admin, a kubectl userAgent", marker, *found)
	}
	t.Logf("audit log: %d entries, %d with a userAgent", total, withAgent)
}
