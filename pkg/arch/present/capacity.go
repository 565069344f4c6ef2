package present

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// percentText is "47%", or "-" when it cannot be computed.
func percentText(p *int64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%d%%", *p)
}

// WriteCapacity prints the capacity view: a table of nodes, a table of pools, the largest
// Pods per node, the Pods waiting for a node, and what could not be read.
func WriteCapacity(w io.Writer, c *arch.Capacity, st render.Style) error {
	fmt.Fprintf(w, "%s\n", st.Heading("Nodes"))
	render.Paragraph(w, st, 2, "Requested is what the Pods bound to each node ask for, counted as the scheduler counts it; the percentage is of what the node can give Pods (allocatable).")
	var names []string
	if len(c.Nodes) > 0 {
		for _, r := range c.Nodes[0].Resources {
			names = append(names, r.Name)
		}
	}
	if len(c.Nodes) == 0 {
		// An empty table would say nothing; the notes below say what was refused.
		what := "The cluster has no nodes."
		if len(c.Notes) > 0 {
			what = "No node is visible with these credentials."
		}
		render.Paragraph(w, st, 2, what)
	}
	headers := append([]string{"node", "pool", "ready"}, names...)
	t := output.NewTable(headers...)
	for _, n := range c.Nodes {
		ready := "no"
		switch {
		case !n.Known:
			ready = "?"
		case n.Ready && n.Unschedulable:
			ready = "yes (cordoned)"
		case n.Ready:
			ready = "yes"
		case n.Unschedulable:
			ready = "no (cordoned)"
		}
		cells := []string{n.Name, orWord(n.Pool, "-"), ready}
		for _, r := range n.Resources {
			cells = append(cells, usageCell(r))
		}
		t.Append(cells...)
	}
	if t.Len() > 0 {
		if err := indented(w, t); err != nil {
			return err
		}
	}

	if len(c.Pools) > 0 {
		section(w, st, "Pools")
		render.Paragraph(w, st, 2, "Nodes are grouped by their pool label ("+strings.Join(arch.PoolLabels[:4], ", ")+" and others), instance type, roles and kubelet version.")
		// The pool's name already says its instance type, roles and kubelet version.
		pt := output.NewTable(append([]string{"pool", "nodes", "ready"}, names...)...)
		ready := map[string]bool{}
		for _, n := range c.Nodes {
			ready[n.Name] = n.Ready
		}
		for _, p := range c.Pools {
			up := 0
			for _, n := range p.Nodes {
				if ready[n] {
					up++
				}
			}
			cells := []string{p.Name, fmt.Sprint(len(p.Nodes)), fmt.Sprint(up)}
			for _, r := range p.Resources {
				cells = append(cells, usageCell(r))
			}
			pt.Append(cells...)
		}
		if err := indented(w, pt); err != nil {
			return err
		}
	}

	var top []string
	for _, n := range c.Nodes {
		if len(n.TopPods) == 0 {
			continue
		}
		var pods []string
		for _, p := range n.TopPods {
			pods = append(pods, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, requestsText(p.Requests)))
		}
		top = append(top, fmt.Sprintf("- %s: %s", n.Name, strings.Join(pods, ", ")))
	}
	if len(top) > 0 {
		section(w, st, "Largest requests per node")
		for _, line := range top {
			render.Paragraph(w, st, 2, line)
		}
	}
	if c.Unscheduled.Pods > 0 {
		section(w, st, "Waiting for a node")
		render.Paragraph(w, st, 2, fmt.Sprintf("%d Pod(s) are not bound to a node yet, requesting %s together; kubectl arch explain names the ones the scheduler cannot place, with its reason.",
			c.Unscheduled.Pods, orWord(requestsText(c.Unscheduled.Requests), "nothing")))
	}
	if len(c.Notes) > 0 {
		section(w, st, "Partial view")
		for _, n := range c.Notes {
			render.Paragraph(w, st, 2, "- "+n)
		}
	}
	if c.ReadAt != "" {
		fmt.Fprintf(w, "\nFacts read at %s (cached; --refresh re-reads).\n", c.ReadAt)
	}
	fmt.Fprintf(w, "\nThe Node resource's fields: kubectl arch explain node\n")
	return nil
}

// indented renders a table two columns in, under its section heading.
func indented(w io.Writer, t *output.Table) error {
	var buf bytes.Buffer
	if err := t.Render(&buf); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	return nil
}

// usageCell is "950m/2 (47%)", memory in binary units people read, "?" for what is
// unknown and "-" for a resource the node does not have and nothing asks of it.
func usageCell(r arch.ResourceUsage) string {
	if r.Allocatable == "0" && r.Requested == "0" {
		return "-"
	}
	req, alloc := orWord(r.Requested, "?"), orWord(r.Allocatable, "?")
	if r.Name == string(corev1.ResourceMemory) || r.Name == string(corev1.ResourceEphemeralStorage) {
		req, alloc = readableBytes(req), readableBytes(alloc)
	}
	if r.Percent == nil {
		return req + "/" + alloc
	}
	return fmt.Sprintf("%s/%s (%s)", req, alloc, percentText(r.Percent))
}

// readableBytes turns a byte count such as 16393428Ki into 15.6Gi; zero stays 0.
func readableBytes(q string) string {
	qty, err := resource.ParseQuantity(q)
	if err != nil {
		return q
	}
	if qty.IsZero() {
		return "0"
	}
	return HumanQuantity(q)
}

// requestsText lists requests cpu and memory first, then the rest by name.
func requestsText(reqs map[string]string) string {
	var keys []string
	for k := range reqs {
		keys = append(keys, k)
	}
	order := func(k string) string {
		switch k {
		case "cpu":
			return "0"
		case "memory":
			return "1"
		}
		return "2" + k
	}
	sort.Slice(keys, func(i, j int) bool { return order(keys[i]) < order(keys[j]) })
	var parts []string
	for _, k := range keys {
		v := reqs[k]
		if k == string(corev1.ResourceMemory) {
			v = readableBytes(v)
		}
		parts = append(parts, k+" "+v)
	}
	return strings.Join(parts, ", ")
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}
