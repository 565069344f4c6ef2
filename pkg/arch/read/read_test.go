package read_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// Each refused read keeps its own error, and the readable ones their answers, so the model
// can say exactly what a partial view lacks.
func TestEachReadKeepsItsError(t *testing.T) {
	var trace bytes.Buffer
	src := archtest.Restricted()
	src.Trace = &trace
	s, err := read.Read(context.Background(), src, read.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{"nodes": s.Nodes.Err, "CRDs": s.CRDs.Err, "ClusterRoles": s.ClusterRoles.Err, "Pods in all namespaces": s.ActivePods.Err} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: want forbidden, got %v", name, err)
		}
	}
	if s.Nodes.Value != nil || s.Version.Err != nil || s.Version.Value.GitVersion != "v1.36.3" || len(s.Discovery.Value.Groups) == 0 {
		t.Errorf("readable reads lost or refused ones kept: nodes %v, version %+v (%v), %d groups", s.Nodes.Value, s.Version.Value, s.Version.Err, len(s.Discovery.Value.Groups))
	}
	if !s.ReadAt.Equal(archtest.Now) {
		t.Errorf("ReadAt %v, want the source's clock %v", s.ReadAt, archtest.Now)
	}
	// The trace names the read that failed and why, for whoever set KUBECTL_ARCH_TRACE.
	if out := trace.String(); !strings.Contains(out, "read nodes: ") || !strings.Contains(out, `failed: nodes is forbidden`) || !strings.Contains(out, "all reads done: +") {
		t.Errorf("trace:\n%s", out)
	}
}

// Every unfinished Pod goes to the hook, and only its count stays in the snapshot.
func TestActivePodsAreHandedOn(t *testing.T) {
	var names []string
	s, err := read.Read(context.Background(), archtest.Troubled(), read.Hooks{ActivePod: func(p *corev1.Pod) { names = append(names, p.Name) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || s.ActivePods.Value != len(names) {
		t.Errorf("ActivePods counted %d, handed on %d", s.ActivePods.Value, len(names))
	}
}
