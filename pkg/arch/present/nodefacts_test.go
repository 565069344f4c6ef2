package present

import (
	"testing"

	"github.com/kubectl-katib/plugins/pkg/arch"
)

func TestNodeFactsNamePressureAndAllocatable(t *testing.T) {
	n := arch.Node{
		Capacity:    map[string]string{"cpu": "8", "memory": "32Gi", "pods": "110"},
		Allocatable: map[string]string{"cpu": "7500m", "memory": "30Gi", "pods": "110"},
		Conditions: []arch.NodeCondition{
			{Type: "MemoryPressure", Status: "True"}, {Type: "DiskPressure", Status: "False"},
			{Type: "PIDPressure", Status: "Unknown"}, {Type: "Ready", Status: "True"},
		},
	}
	if got, want := nodeResources(n), "capacity 8 CPU, 32.0Gi memory, 110 Pods; allocatable to Pods 7500m CPU, 30.0Gi memory, 110 Pods"; got != want {
		t.Errorf("resources:\n got %q\nwant %q", got, want)
	}
	if got, want := nodePressure(n), "conditions: MemoryPressure True, PIDPressure Unknown"; got != want {
		t.Errorf("pressure: got %q, want %q", got, want)
	}
	n.Conditions = n.Conditions[1:2]
	if got := nodePressure(n); got != "no memory, disk or PID pressure" {
		t.Errorf("healthy node: %q", got)
	}
	if got := nodeResources(arch.Node{}); got != "capacity not reported" {
		t.Errorf("no capacity: %q", got)
	}
}

func TestRefLinesBreakAfterTheSlash(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"via kube-system/metrics-server", []string{"via kube-system/metrics-server"}},
		{"via Service arch-e2e/suggestion-webhook", []string{"via Service arch-e2e/", "suggestion-webhook"}},
		{"by statefulset a-very-long-namespace/x", []string{"by statefulset", "a-very-long-namespace/x"}},
	} {
		got := refLines(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}
