//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// clusterDir is the local cluster's state directory (.cluster/ of the checkout): the folder of
// the admin kubeconfig when KUBECONFIG points at it, else relative to this package.
func clusterDir(t testing.TB) string {
	t.Helper()
	if kc := os.Getenv("KUBECONFIG"); filepath.Base(kc) == "admin.kubeconfig" {
		return filepath.Dir(kc)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", ".cluster"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin.kubeconfig")); err != nil {
		t.Skipf("no local cluster state in %s (run `make cluster-up`): %v", dir, err)
	}
	return dir
}

// kubectlAs runs kubectl with the given kubeconfig and optional stdin, returning stdout,
// stderr and the exit error.
func kubectlAs(kubeconfig string, stdin []byte, args ...string) (string, string, error) {
	out, errOut, _, err := execute(nil, stdin, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	return out, errOut, err
}

// mustKubectlAs is kubectlAs that fails the test on a non-zero exit.
func mustKubectlAs(t testing.TB, kubeconfig string, stdin []byte, args ...string) string {
	t.Helper()
	out, errOut, err := kubectlAs(kubeconfig, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl --kubeconfig %s %v: %v\nstdout:\n%s\nstderr:\n%s", kubeconfig, args, err, out, errOut)
	}
	return out
}

// uniqueSuffix returns a short random lower-case hex string for object names.
func uniqueSuffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// pausePodManifest is a Pod running the cluster's own pause image, which `make cluster-up`
// always imports, so these tests need no other image.
func pausePodManifest(name, namespace string) []byte {
	return []byte(`apiVersion: v1
kind: Pod
metadata:
  name: ` + name + `
  namespace: ` + namespace + `
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: pause
    image: localhost/kubectl-katib/pause:v1
    imagePullPolicy: Never
`)
}
