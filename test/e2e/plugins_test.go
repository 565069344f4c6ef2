//go:build e2e

// Package e2e runs the built plugins through the real kubectl against the project's local
// cluster. `make test-e2e` builds everything, starts the cluster and sets KUBECONFIG and PATH.
package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKubectlDiscoversBothPlugins(t *testing.T) {
	out := kubectl(t, "plugin", "list")
	for _, p := range []string{"kubectl-katib", "kubectl-arch"} {
		if !strings.Contains(out, p) {
			t.Errorf("kubectl plugin list does not show %s:\n%s", p, out)
		}
	}
}

func TestVersionThroughKubectl(t *testing.T) {
	out := kubectl(t, "katib", "version")
	if !strings.HasPrefix(out, "Version: ") {
		t.Fatalf("kubectl katib version:\n%s", out)
	}
	var info map[string]string
	out = kubectl(t, "arch", "version", "-o", "json")
	if err := json.Unmarshal([]byte(out), &info); err != nil || info["version"] == "" || info["gitCommit"] == "" {
		t.Fatalf("kubectl arch version -o json: %v\n%s", err, out)
	}
}

func TestGlobalFlagsThroughKubectl(t *testing.T) {
	out := kubectl(t, "katib", "--context", "nowhere", "-n", "ml", "version", "-o", "yaml")
	if !strings.Contains(out, "goVersion:") {
		t.Fatalf("flags after the plugin name were not accepted:\n%s", out)
	}
}

func TestKubectlCompletesPluginCommands(t *testing.T) {
	// kubectl runs kubectl_complete-katib (installed next to the plugin by `make build`).
	out := kubectl(t, "__complete", "katib", "ver")
	if !strings.Contains(out, "version") {
		t.Fatalf("kubectl __complete katib ver:\n%s", out)
	}
}
