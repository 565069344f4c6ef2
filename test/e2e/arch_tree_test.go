//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/archtree"
)

// treeChain reports whether the tree holds the path of "KIND/NAME" steps from its root,
// each below the previous one.
func treeChain(tree *archtree.Tree, steps ...string) bool {
	n := tree.Root
	if n == nil || steps[0] != n.Kind+"/"+n.Name {
		return false
	}
next:
	for _, s := range steps[1:] {
		for _, c := range n.Children {
			label := c.Kind + "/" + c.Name
			// A step ending in "-" or "/" names a generated name by its prefix.
			prefix := strings.HasSuffix(s, "-") || strings.HasSuffix(s, "/")
			if label == s || prefix && strings.HasPrefix(label, s) {
				n = c
				continue next
			}
		}
		return false
	}
	return true
}

// treeNode finds the first object of kind whose name starts with prefix, fully drawn.
func treeNode(tree *archtree.Tree, kind, prefix string) *archtree.Node {
	var out *archtree.Node
	tree.Root.Walk(func(n, _ *archtree.Node) {
		if out == nil && n.Kind == kind && strings.HasPrefix(n.Name, prefix) && !n.Seen {
			out = n
		}
	})
	return out
}

// TestArchTree builds, in a fresh namespace, a Deployment, a Pod with a claim on a hostPath
// volume of its own storage class, a service account with a RoleBinding, a Service, and a
// custom resource whose "operator" (this test) created a ConfigMap owned by it; then checks
// that `kubectl arch tree` finds each chain on the live cluster.
func TestArchTree(t *testing.T) {
	clusterDir(t)
	ns := freshNamespace(t, "arch-tree")
	suffix := uniqueSuffix(t)

	// Cluster-scoped fixtures carry the suffix so parallel or interrupted runs never clash.
	class, volume := "arch-tree-"+suffix, "arch-tree-"+suffix
	group := "t" + suffix + ".e2e.kubectl-katib.io"
	crd := "gadgets." + group
	t.Cleanup(func() {
		runKubectl("delete", "persistentvolume", volume, "--wait=false", "--ignore-not-found")
		runKubectl("delete", "storageclass", class, "--ignore-not-found")
		runKubectl("delete", "customresourcedefinition", crd, "--wait=false", "--ignore-not-found")
	})
	// The local cluster has no dynamic provisioner: a hostPath volume pre-bound to the claim.
	kubectlIn(t, []byte(fmt.Sprintf(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: %[1]s}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: %[2]s}
spec:
  capacity: {storage: 1Mi}
  accessModes: [ReadWriteOnce]
  storageClassName: %[1]s
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: %[3]s, name: data}
  hostPath: {path: /tmp/%[2]s, type: DirectoryOrCreate}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[4]s}
spec:
  group: %[5]s
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, class, volume, ns, crd, group)), "apply", "-f", "-")

	kubectlIn(t, []byte(fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: config-reader}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-reads-config}
subjects: [{kind: ServiceAccount, name: app, namespace: %[1]s}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: pause
        image: localhost/kubectl-katib/pause:v1
        imagePullPolicy: Never
        envFrom: [{configMapRef: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: %[2]s
  volumeName: %[3]s
  resources: {requests: {storage: 1Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  serviceAccountName: app
  terminationGracePeriodSeconds: 1
  containers:
  - name: pause
    image: localhost/kubectl-katib/pause:v1
    imagePullPolicy: Never
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
`, ns, class, volume)), "apply", "-n", ns, "-f", "-")

	kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crd)
	kubectlIn(t, []byte("apiVersion: "+group+"/v1\nkind: Gadget\nmetadata: {name: blue}\nspec: {size: 3}\n"), "apply", "-n", ns, "-f", "-")
	uid := kubectl(t, "get", "-n", ns, "gadgets."+group, "blue", "-o", "jsonpath={.metadata.uid}")
	// What an operator would do on seeing the Gadget: create an object it owns.
	kubectlIn(t, []byte(fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: blue-settings
  ownerReferences: [{apiVersion: %s/v1, kind: Gadget, name: blue, uid: %s, controller: true}]
data: {size: "3"}
`, group, uid)), "apply", "-n", ns, "-f", "-")

	kubectl(t, "wait", "-n", ns, "--for=condition=Available", "--timeout=120s", "deployment/web")
	kubectl(t, "wait", "-n", ns, "--for=condition=Ready", "--timeout=120s", "pod/db")

	cache := archCacheDir(t)
	var dep archtree.Tree
	archJSON(t, &dep, "tree", "deploy/web", "-n", ns, cache)
	if dep.APIVersion != "arch.kubectl-katib.io/v1" || dep.Kind != "ObjectTree" || dep.Root.Status.Phase != "Available" || dep.Root.Status.Ready != "2/2" {
		t.Errorf("deployment document: %s %s %+v", dep.APIVersion, dep.Kind, dep.Root.Status)
	}
	if !treeChain(&dep, "Deployment/web", "ReplicaSet/web-", "Pod/web-", "Node/") {
		t.Errorf("no Deployment -> ReplicaSet -> Pod -> Node chain")
	}
	if p := treeNode(&dep, "Pod", "web-"); p == nil || p.Status.Phase != "Running" || p.Status.Ready != "1/1" || p.Status.Health != "ok" {
		t.Errorf("web Pod: %+v", p)
	}
	if !treeChain(&dep, "Deployment/web", "Service/web") || !treeChain(&dep, "Deployment/web", "ReplicaSet/web-", "Pod/web-", "ConfigMap/web-config") {
		t.Errorf("the Deployment's Service or its Pods' ConfigMap is missing")
	}

	var pod archtree.Tree
	archJSON(t, &pod, "tree", "pod", "db", "-n", ns, cache)
	if !treeChain(&pod, "Pod/db", "PersistentVolumeClaim/data", "PersistentVolume/"+volume, "StorageClass/"+class) {
		t.Errorf("no Pod -> PVC -> PV -> StorageClass chain")
	}
	if !treeChain(&pod, "Pod/db", "ServiceAccount/app", "RoleBinding/app-reads-config", "Role/config-reader") {
		t.Errorf("no Pod -> ServiceAccount -> RoleBinding -> Role chain")
	}
	if r := treeNode(&pod, "Role", "config-reader"); r == nil || len(r.Details) != 1 || r.Details[0] != "get, list, watch on configmaps" {
		t.Errorf("role summary: %+v", r)
	}
	if c := treeNode(&pod, "PersistentVolumeClaim", "data"); c == nil || c.Status.Phase != "Bound" {
		t.Errorf("claim: %+v", c)
	}

	var svc archtree.Tree
	archJSON(t, &svc, "tree", "svc/web", "-n", ns, cache)
	if !treeChain(&svc, "Service/web", "EndpointSlice/web-", "Pod/web-") {
		t.Errorf("no Service -> EndpointSlice -> Pod chain")
	}

	var cr archtree.Tree
	archJSON(t, &cr, "tree", "gadgets."+group+"/blue", "-n", ns, cache)
	if !treeChain(&cr, "Gadget/blue", "ConfigMap/blue-settings") {
		t.Errorf("no Gadget -> ConfigMap chain")
	}
	if len(cr.Root.Children) != 1 {
		t.Errorf("the Gadget owns one object, the tree shows %d", len(cr.Root.Children))
	}

	// The terminal tree and the documented failures.
	out := kubectl(t, "arch", "tree", "deployments.apps", "web", "-n", ns, cache)
	for _, want := range []string{"NAME", "READY", "STATUS", "AGE", "Deployment/web", "├─ ReplicaSet/web-", "runs on Node/", "selected by Service/web"} {
		if !strings.Contains(out, want) {
			t.Errorf("text tree lacks %q:\n%s", want, out)
		}
	}
	t.Logf("kubectl arch tree deployments.apps web:\n%s", out)
	if _, errOut, code := runKubectlEnv(nil, "arch", "tree", "gizmos/x", "-n", ns, cache); code != 2 || !strings.Contains(errOut, "kubectl arch api-resources") {
		t.Errorf("unknown kind: exit %d, %s", code, errOut)
	}
	if _, errOut, code := runKubectlEnv(nil, "arch", "tree", "deploy/nope", "-n", ns, cache); code != 1 || !strings.Contains(errOut, `deployments.apps "nope" not found`) {
		t.Errorf("missing object: exit %d, %s", code, errOut)
	}
	for _, format := range []string{"dot", "mermaid", "svg"} {
		if out := kubectl(t, "arch", "tree", "deploy/web", "-n", ns, "-o", format, cache); !strings.Contains(out, "Deployment/web") {
			t.Errorf("-o %s does not draw the Deployment:\n%s", format, out)
		}
	}
	if out := kubectl(t, "arch", "tree", "deploy/web", "-n", ns, "-o", "jsonpath={.root.children[0].kind}", cache); out != "ReplicaSet" {
		t.Errorf("-o jsonpath: %q", out)
	}
}

// TestArchTreeRestrictedUser: a user who may read Pods and ConfigMaps in one namespace and
// nothing else gets the tree of its Pod, with every kind it could not read named.
func TestArchTreeRestrictedUser(t *testing.T) {
	kc := filepath.Join(clusterDir(t), restrictedKubeconfig)
	if _, err := os.Stat(kc); err != nil {
		t.Skipf("no restricted kubeconfig: %v", err)
	}
	name := "arch-tree-" + uniqueSuffix(t)
	mustKubectlAs(t, kc, pausePodManifest(name, restrictedNamespace), "create", "-f", "-")
	t.Cleanup(func() {
		_, _, _ = kubectlAs(kc, nil, "-n", restrictedNamespace, "delete", "pod", name, "--ignore-not-found", "--wait=false")
	})
	env := []string{"KUBECONFIG=" + kc}
	cache := archCacheDir(t)
	out, errOut, code := runKubectlEnv(env, "arch", "tree", "pod/"+name, "-n", restrictedNamespace, "-o", "json", cache)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var tree archtree.Tree
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if tree.Root == nil || tree.Root.Name != name {
		t.Fatalf("root: %+v", tree.Root)
	}
	notes := strings.Join(tree.Notes, "\n")
	for _, want := range []string{"serviceaccounts in namespace " + restrictedNamespace + " (forbidden)", "(forbidden)"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q: %q", want, tree.Notes)
		}
	}
	if sa := treeNode(&tree, "ServiceAccount", "default"); sa == nil || sa.Status.Phase != "Forbidden" {
		t.Errorf("account: %+v", sa)
	}
	text, _, code := runKubectlEnv(env, "arch", "tree", "pod/"+name, "-n", restrictedNamespace, cache)
	if code != 0 || !strings.Contains(text, "Partial view:") || !strings.Contains(text, "Pod/"+name) {
		t.Errorf("exit %d, text:\n%s", code, text)
	}
}
