package present

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/arch"
)

// A big cluster's nodes are drawn as pools, biggest first, with the nodes that are down named.
func TestGraphSummarisesNodesByPool(t *testing.T) {
	m := &arch.Model{}
	add := func(n int, pool string, down ...int) {
		roles := []string{}
		if pool == "control" {
			roles = []string{"control-plane"}
		}
		for i := range n {
			ready := true
			for _, d := range down {
				ready = ready && d != i
			}
			m.Nodes = append(m.Nodes, arch.Node{Name: fmt.Sprintf("%s-%03d", pool, i), Pool: pool, Ready: ready, Roles: roles})
		}
	}
	add(3, "control")
	add(500, "general/m5.xlarge/v1.36.3", 7, 8, 9, 10)
	add(50, "gpu/p3.2xlarge/v1.36.3")
	for i := range 8 {
		add(2, fmt.Sprintf("small-%d", i))
	}
	g := Graph(m)
	var pools *struct {
		label string
		lines map[string][]string
		order []string
	}
	for _, grp := range g.Groups {
		if grp.ID != "more-nodes" {
			continue
		}
		pools = &struct {
			label string
			lines map[string][]string
			order []string
		}{label: grp.Label, lines: map[string][]string{}}
		for _, n := range grp.Nodes {
			pools.lines[n.Label] = append(n.Lines, n.Status)
			pools.order = append(pools.order, n.Label)
		}
	}
	if pools == nil {
		t.Fatal("no pools group")
	}
	full := 0
	for _, grp := range g.Groups {
		if strings.HasPrefix(grp.ID, "node/") {
			full++
			if !strings.HasPrefix(grp.ID, "node/control-") {
				t.Errorf("node drawn in full: %s", grp.ID)
			}
		}
	}
	if full != 3 {
		t.Errorf("%d control-plane nodes drawn in full, want 3", full)
	}
	if pools.label != "Nodes: 566 in 10 pools" {
		t.Errorf("label %q", pools.label)
	}
	if got := strings.Join(pools.order[:2], ";"); got != "general/m5.xlarge/v1.36.3;gpu/p3.2xlarge/v1.36.3" {
		t.Errorf("order %v", pools.order)
	}
	if got := strings.Join(pools.lines["general/m5.xlarge/v1.36.3"], ";"); got !=
		"500 nodes, 496 Ready;NotReady: general/m5.xlarge/v1.36.3-007, general/m5.xlarge/v1.36.3-008, general/m5.xlarge/v1.36.3-009 +1;failing" {
		t.Errorf("general pool: %s", got)
	}
	if got := strings.Join(pools.lines["4 more pools"], ";"); got != "8 nodes, 8 Ready;ok" {
		t.Errorf("rest: %s (pools %v)", got, pools.order)
	}
}
