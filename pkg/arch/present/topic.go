package present

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// WriteTopic prints a component or concept: what it does, its live facts, what it talks to,
// failure and symptom, and the official docs.
func WriteTopic(w io.Writer, t *arch.TopicExplanation, st render.Style) error {
	e := t.Entry
	fmt.Fprintf(w, "%s  %s\n", st.Bold(strings.ToUpper(e.Name)), st.Dim(e.Title))
	render.Paragraph(w, st, 0, e.Summary)
	section(w, st, "What it does")
	render.Paragraph(w, st, 2, e.Does)
	if len(e.Controllers) > 0 {
		section(w, st, "Main controllers")
		for _, c := range e.Controllers {
			render.Paragraph(w, st, 2, "- "+c.Name+": "+c.Does)
		}
	}
	if t.Live != nil {
		writeLive(w, t, st)
	} else if t.Offline {
		section(w, st, "In this cluster")
		fmt.Fprintln(w, "  (offline: run without --offline to see live facts)")
	}
	if len(e.TalksTo) > 0 {
		section(w, st, "Talks to")
		for _, n := range e.TalksTo {
			other := arch.KB().Component(n)
			render.Paragraph(w, st, 2, fmt.Sprintf("%s: %s", n, other.Summary))
		}
	}
	section(w, st, "When it fails")
	render.Paragraph(w, st, 2, e.WhenItFails)
	section(w, st, "What you notice")
	render.Paragraph(w, st, 2, e.Symptom)
	section(w, st, "Docs")
	fmt.Fprintf(w, "  %s\n", e.Docs)
	return nil
}

func writeLive(w io.Writer, t *arch.TopicExplanation, st render.Style) {
	l := t.Live
	section(w, st, "In this cluster")
	wrote := false
	line := func(format string, args ...any) {
		wrote = true
		render.Paragraph(w, st, 2, fmt.Sprintf(format, args...))
	}
	if c := l.Component; c != nil {
		if len(c.Seen) > 0 {
			line("seen through: %s", strings.Join(c.Seen, ", "))
		} else {
			line("not visible with these credentials")
		}
		if c.Version != "" {
			line("version: %s", c.Version)
		}
		line("health: %s", st.Status(c.Health, c.Health))
		for _, ch := range c.Checks {
			mark := "ok"
			if !ch.OK {
				mark = "failed"
			}
			line("  /%s check %s: %s", ch.Endpoint, ch.Name, mark)
		}
		if c.Leader != nil {
			renew := ""
			if c.Leader.RenewTime != "" {
				renew = ", renewed " + c.Leader.RenewTime
			}
			line("leader: %s (Lease %s%s)", c.Leader.Holder, c.Leader.Lease, renew)
		}
		for _, p := range c.Pods {
			line("pod: %s/%s on %s, %s", p.Namespace, p.Name, p.Node, p.Phase)
		}
		if c.RunsOn != "" {
			line("runs: %s", c.RunsOn)
		}
	} else if t.Entry.Layer == "control-plane" {
		line("not found: no Pod, Lease or health check shows it (normal for %s on clusters without it)", t.Entry.Name)
	}
	for _, n := range l.Nodes {
		ready := "NotReady"
		if n.Ready {
			ready = "Ready"
		}
		if t.Entry.Name == "kubelet" {
			role := ""
			if len(n.Roles) > 0 {
				role = " (" + strings.Join(n.Roles, ",") + ")"
			}
			line("node %s%s: kubelet %s, %s, %s/%s", n.Name, role, n.KubeletVersion, ready, n.OS, n.Architecture)
			render.Paragraph(w, st, 4, "- "+nodeResources(n))
			render.Paragraph(w, st, 4, "- "+nodePressure(n))
			if n.PodCIDR != "" {
				render.Paragraph(w, st, 4, "- pod CIDR "+n.PodCIDR)
			}
		} else {
			line("node %s: %s %s (%s, kernel %s)", n.Name, n.ContainerRuntime, n.RuntimeVersion, n.OSImage, n.KernelVersion)
		}
	}
	if t.Entry.Name == "admission-webhook" && len(l.Webhooks) == 0 {
		line("no admission webhooks are registered here (or none are readable): writes go from validation straight to etcd")
	}
	for _, h := range l.Webhooks {
		render.Paragraph(w, st, 2, "- "+webhookLine(h))
		wrote = true
	}
	for _, g := range l.AggregatedGroups {
		state := "available"
		if !g.Aggregated.Available {
			state = fmt.Sprintf("not available (%s: %s)", g.Aggregated.Reason, strings.TrimSuffix(g.Aggregated.Message, "."))
		}
		line("group %s: forwarded by kube-apiserver to Service %s, %s", g.Name, g.Aggregated.Service, state)
	}
	for _, a := range l.AddOns {
		mode := ""
		if a.Mode != "" {
			mode = ", mode " + a.Mode
		}
		line("%s %s/%s: %s ready, image %s%s", strings.ToLower(a.Kind), a.Namespace, a.Name, a.Ready, a.Image, mode)
	}
	switch t.Entry.Name {
	case "kube-proxy", "coredns", "cni", "metrics-server":
		if len(l.AddOns) == 0 {
			line("no workload for it is visible in kube-system; it may run outside Pods, be replaced by another component, or be absent")
		}
	case "crd", "operator", "controller":
		total := 0
		for _, g := range l.CustomResources {
			total += len(g.CRDs)
		}
		if total == 0 {
			line("no CustomResourceDefinitions here (or none readable), so no operators to show; the built-in controllers run in kube-controller-manager")
		}
		for _, g := range l.CustomResources {
			line("group %s:", g.Group)
			for _, c := range g.CRDs {
				render.Paragraph(w, st, 4, "- "+crdLine(c, l.OperatorsInferred))
			}
		}
	case "api-group":
		line("%d API groups are served; see kubectl arch api-versions and kubectl arch api-resources", l.APIGroups)
	case "kubelet", "container-runtime":
		if len(l.Nodes) == 0 {
			line("no nodes are readable with these credentials")
		}
	}
	for _, n := range l.Warnings {
		line("warning: %s", n)
	}
	for _, n := range l.Notes {
		line("note: %s", n)
	}
	if !wrote {
		line("nothing more to show")
	}
}

// nodeResources says what the node has and what of it Pods may use, as people read sizes.
func nodeResources(n arch.Node) string {
	size := func(r map[string]string) string {
		parts := []string{}
		if c, ok := r["cpu"]; ok {
			parts = append(parts, c+" CPU")
		}
		if m, ok := r["memory"]; ok {
			parts = append(parts, HumanQuantity(m)+" memory")
		}
		if p, ok := r["pods"]; ok {
			parts = append(parts, p+" Pods")
		}
		return strings.Join(parts, ", ")
	}
	capacity, allocatable := size(n.Capacity), size(n.Allocatable)
	switch {
	case capacity == "":
		return "capacity not reported"
	case allocatable == capacity || allocatable == "":
		return "capacity " + capacity + ", all of it allocatable to Pods"
	}
	return "capacity " + capacity + "; allocatable to Pods " + allocatable
}

// nodePressure names the conditions that are not in their healthy state. Ready is told
// apart already; every other condition is healthy when False.
func nodePressure(n arch.Node) string {
	var bad []string
	for _, c := range n.Conditions {
		if c.Type != "Ready" && c.Status != "False" {
			bad = append(bad, c.Type+" "+c.Status)
		}
	}
	if len(bad) == 0 {
		return "no memory, disk or PID pressure"
	}
	return "conditions: " + strings.Join(bad, ", ")
}
