package present

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// maxNodeGroups keeps diagrams of large clusters readable: beyond it, only control-plane
// nodes are drawn in full and the rest are counted by pool in one frame.
const maxNodeGroups = 3

// Graph turns the model into the diagram every output format draws.
func Graph(m *arch.Model) *render.Graph {
	g := &render.Graph{Title: title(m), Subtitle: subtitle(m), Warnings: m.Warnings, Notes: m.Notes}
	cp := render.Group{ID: "control-plane", Label: "Control plane"}
	// etcd first, then the API server next to it and to the components that call it, so the
	// picture's links are short.
	order := map[string]int{"etcd": 0, "kube-apiserver": 1, "kube-scheduler": 2, "kube-controller-manager": 3, "cloud-controller-manager": 4}
	comps := append([]arch.Component{}, m.ControlPlane...)
	sort.SliceStable(comps, func(i, j int) bool { return order[comps[i].Name] < order[comps[j].Name] })
	for _, c := range comps {
		cp.Nodes = append(cp.Nodes, render.Node{ID: c.Name, Label: c.Name, Lines: componentLines(c, m.Offline), Status: c.Health})
		if c.Name != "kube-apiserver" && c.Name != "etcd" {
			g.Edges = append(g.Edges, render.Edge{From: c.Name, To: "kube-apiserver", Label: componentVerb(c.Name)})
		}
	}
	if m.Component("etcd") != nil && m.Component("kube-apiserver") != nil {
		g.Edges = append(g.Edges, render.Edge{From: "kube-apiserver", To: "etcd", Label: "stores all objects"})
	}
	g.Groups = append(g.Groups, cp)

	if len(m.Nodes) <= maxNodeGroups+1 {
		for _, n := range m.Nodes {
			g.Groups = append(g.Groups, nodeGroup(m, n, &g.Edges))
		}
	} else {
		// Many nodes: the control plane's drawn in full, every other node counted in its pool.
		var rest []arch.Node
		full := 0
		for _, n := range m.Nodes {
			if full < maxNodeGroups && (slices.Contains(n.Roles, "control-plane") || slices.Contains(n.Roles, "master")) {
				g.Groups = append(g.Groups, nodeGroup(m, n, &g.Edges))
				full++
				continue
			}
			rest = append(rest, n)
		}
		g.Groups = append(g.Groups, poolsGroup(rest))
	}

	if len(m.AddOns) > 0 {
		grp := render.Group{ID: "add-ons", Label: "Add-ons (kube-system)"}
		for _, a := range m.AddOns {
			if (a.Component == "kube-proxy" || a.Component == "cni") && a.Kind == "DaemonSet" && len(m.Nodes) > 0 {
				continue
			}
			id := "addon/" + a.Namespace + "/" + a.Name
			lines := []string{strings.ToLower(a.Kind) + ", " + a.Ready + " ready"}
			if a.Component != "add-on" {
				lines = append([]string{arch.KB().Component(a.Component).Title}, lines...)
			}
			st := readyStatus(a.Ready)
			if m.Offline {
				lines, st = render.Wrap(arch.KB().Component(a.Component).Summary, 29), ""
			}
			grp.Nodes = append(grp.Nodes, render.Node{ID: id, Label: a.Name, Lines: lines, Status: st})
		}
		if len(grp.Nodes) > 0 {
			g.Groups = append(g.Groups, grp)
		}
	}

	if grp, ok := apiGroup(m); ok {
		g.Groups = append(g.Groups, grp)
	}
	if grp, ok := webhookGroup(m); ok {
		g.Groups = append(g.Groups, grp)
	}

	if len(m.CustomResources) > 0 {
		grp := render.Group{ID: "custom", Label: "Custom resources and operators"}
		ops := map[string]bool{}
		for i, cg := range m.CustomResources {
			if i == maxCRDGroups && len(m.CustomResources) > maxCRDGroups+1 {
				rest := m.CustomResources[i:]
				crds, operated := 0, 0
				for _, r := range rest {
					for _, c := range r.CRDs {
						crds++
						if c.Operator != nil {
							operated++
						}
					}
				}
				grp.Nodes = append(grp.Nodes, render.Node{ID: "crd/more", Label: fmt.Sprintf("%d more groups", len(rest)),
					Lines: []string{fmt.Sprintf("%d CRDs, %d with a known operator", crds, operated), "kubectl arch explain crd"}})
				break
			}
			id := "crd/" + cg.Group
			var lines []string
			for _, c := range cg.CRDs {
				// A known operator is drawn as its own box with a "reconciles" link.
				if c.Operator != nil {
					lines = append(lines, c.Kind)
				} else {
					lines = append(lines, c.Kind+" (operator unknown)")
				}
			}
			if len(lines) > 4 {
				lines = append(lines[:3], fmt.Sprintf("and %d more", len(lines)-3))
			}
			grp.Nodes = append(grp.Nodes, render.Node{ID: id, Label: cg.Group, Lines: lines})
			// One link per operator and group, naming the kinds it reconciles there, so a
			// group shared by several operators still says which one does what.
			var order []string
			kinds := map[string][]string{}
			for _, c := range cg.CRDs {
				if c.Operator == nil {
					continue
				}
				oid := "operator/" + c.Operator.Ref()
				if !ops[oid] {
					ops[oid] = true
					grp.Nodes = append(grp.Nodes, render.Node{ID: oid, Label: c.Operator.Name,
						Lines: []string{"operator, " + strings.ToLower(c.Operator.Kind), "namespace " + c.Operator.Namespace}, Status: ""})
				}
				if kinds[oid] == nil {
					order = append(order, oid)
				}
				kinds[oid] = append(kinds[oid], c.Kind)
			}
			for _, oid := range order {
				g.Edges = append(g.Edges, render.Edge{From: oid, To: id, Label: reconcilesLabel(kinds[oid])})
			}
		}
		g.Groups = append(g.Groups, grp)
	}
	return g
}

// apiLineWidth is what a part's line holds in every format (the SVG box is the narrowest).
const apiLineWidth = 30

// apiGroup summarises the API the server offers: the built-in groups by name and the custom
// ones, which the frame below details with their operators.
func apiGroup(m *arch.Model) (render.Group, bool) {
	if len(m.APIGroups) == 0 {
		return render.Group{}, false
	}
	var builtIn, custom []string
	var aggregated [][]string
	builtInRes, customRes := 0, 0
	aggregatedStatus := "ok"
	groups := append([]arch.APIGroup{}, m.APIGroups...)
	// The groups people use every day first; the rest keep their order.
	sort.SliceStable(groups, func(i, j int) bool { return groupRank(groups[i].Name) < groupRank(groups[j].Name) })
	for _, a := range groups {
		// Aggregated groups have a part of their own, whoever defined them: another server
		// answers them.
		if a.Aggregated != nil {
			lines := append([]string{render.Truncate(a.Name, apiLineWidth)}, refLines("via "+a.Aggregated.Service)...)
			if !a.Aggregated.Available {
				lines = append(lines, render.Truncate("unavailable: "+a.Aggregated.Reason, apiLineWidth))
				aggregatedStatus = "failing"
			}
			aggregated = append(aggregated, lines)
			continue
		}
		if a.BuiltIn {
			builtIn = append(builtIn, shortGroupName(a.Name))
			builtInRes += len(a.Resources)
		} else {
			custom = append(custom, a.Name)
			customRes += len(a.Resources)
		}
	}
	grp := render.Group{ID: "api", Label: "API groups (served by kube-apiserver)"}
	if m.Offline {
		custom = nil
		for _, cg := range m.CustomResources {
			custom = append(custom, cg.Group)
		}
		grp.Nodes = append(grp.Nodes, render.Node{ID: "api/built-in", Label: "built-in groups",
			Lines: append(render.Wrap(arch.KB().Component("api-group").Summary, apiLineWidth), listLines("e.g. "+strings.Join(builtIn, ", "), 2)...)})
		grp.Nodes = append(grp.Nodes, render.Node{ID: "api/custom", Label: "custom groups",
			Lines: render.Wrap("Added by CustomResourceDefinitions, such as "+strings.Join(custom, ", ")+".", apiLineWidth)})
		return grp, true
	}
	grp.Nodes = append(grp.Nodes, render.Node{ID: "api/built-in", Label: "built-in groups",
		Lines: append([]string{countLine(len(builtIn), builtInRes)}, listLines(strings.Join(builtIn, ", "), 3)...)})
	customLines := []string{"none: a CRD adds one"}
	if len(custom) > 0 {
		customLines = append([]string{countLine(len(custom), customRes) + " (CRDs)"}, listLines(strings.Join(custom, ", "), 3)...)
	}
	grp.Nodes = append(grp.Nodes, render.Node{ID: "api/custom", Label: "custom groups", Lines: customLines})
	if len(aggregated) > 0 {
		lines := []string{"forwarded to extension servers"}
		for i, a := range aggregated {
			if i == 2 && len(aggregated) > 2 {
				lines = append(lines, fmt.Sprintf("and %d more groups", len(aggregated)-2))
				break
			}
			lines = append(lines, a...)
		}
		grp.Nodes = append(grp.Nodes, render.Node{ID: "api/aggregated", Label: "aggregated groups", Lines: lines, Status: aggregatedStatus})
	}
	return grp, true
}

// maxWebhookParts keeps the frame to two rows of the picture; the rest are counted.
const maxWebhookParts = 7

// webhookGroup draws one part per webhook configuration: who answers it and what it
// intercepts. Each line says enough to tell which configuration blocks a write.
func webhookGroup(m *arch.Model) (render.Group, bool) {
	if len(m.Webhooks) == 0 {
		return render.Group{}, false
	}
	grp := render.Group{ID: "webhooks", Label: "Admission webhooks (called by kube-apiserver on writes)"}
	var order []string
	byConfig := map[string][]arch.Webhook{}
	for _, w := range m.Webhooks {
		key := w.Kind + "/" + w.Configuration
		if byConfig[key] == nil {
			order = append(order, key)
		}
		byConfig[key] = append(byConfig[key], w)
	}
	for i, key := range order {
		if i == maxWebhookParts && len(order) > maxWebhookParts {
			grp.Nodes = append(grp.Nodes, render.Node{ID: "webhooks/more", Label: fmt.Sprintf("%d more", len(order)-i),
				Lines: []string{"webhook configurations;", "see explain admission-webhook"}})
			break
		}
		ws := byConfig[key]
		policy := ws[0].FailurePolicy
		for _, w := range ws[1:] {
			if w.FailurePolicy != policy {
				policy = "mixed"
			}
		}
		kind := ws[0].Kind
		if len(ws) > 1 {
			kind = fmt.Sprintf("%s, %d webhooks", kind, len(ws))
		}
		lines := []string{kind, "failurePolicy " + policy}
		switch {
		case ws[0].ServedBy != "":
			lines = append(lines, refLines("by "+ws[0].ServedBy)...)
		case ws[0].Service != "":
			lines = append(lines, refLines("via Service "+ws[0].Service)...)
		default:
			lines = append(lines, "via a URL outside the cluster")
		}
		if len(ws[0].Intercepts) > 0 {
			lines = append(lines, render.Truncate(ws[0].Intercepts[0], apiLineWidth))
		}
		// A part is ok or failing only when the workload behind it is known.
		status := ""
		for _, w := range ws {
			switch {
			case w.Down():
				status = "failing"
			case w.Ready != "" && status == "":
				status = "ok"
			}
		}
		if status == "failing" {
			lines = append(lines, "no ready Pod behind it")
		}
		grp.Nodes = append(grp.Nodes, render.Node{ID: "webhooks/" + key, Label: ws[0].Configuration, Lines: lines, Status: status})
	}
	return grp, true
}

// refLines fits text that ends in a namespace/name to a part's lines, breaking after the
// slash when it is too long for one.
func refLines(text string) []string {
	if render.Width(text) <= apiLineWidth {
		return []string{text}
	}
	lines := render.Wrap(strings.Replace(text, "/", "/ ", 1), apiLineWidth)
	for i := range lines {
		lines[i] = strings.Replace(lines[i], "/ ", "/", 1)
	}
	return lines
}

func countLine(groups, resources int) string {
	s := fmt.Sprintf("%d group", groups)
	if groups != 1 {
		s += "s"
	}
	if resources > 0 {
		s += fmt.Sprintf(", %d resource", resources)
		if resources != 1 {
			s += "s"
		}
	}
	return s
}

// listLines wraps a list to at most max lines, the last ending in an ellipsis when cut.
func listLines(list string, max int) []string {
	lines := render.Wrap(list, apiLineWidth)
	if len(lines) > max {
		lines = lines[:max]
		lines[max-1] = render.Truncate(strings.TrimSuffix(lines[max-1], ",")+" …", apiLineWidth)
	}
	return lines
}

// everydayGroups are listed first in the API frame, in this order.
var everydayGroups = []string{"", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
	"policy", "autoscaling", "coordination.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io"}

func groupRank(name string) int {
	for i, g := range everydayGroups {
		if g == name {
			return i
		}
	}
	return len(everydayGroups)
}

// shortGroupName drops the .k8s.io that most built-in group names share; the core group has
// no name at all.
func shortGroupName(name string) string {
	if name == "" {
		return "core"
	}
	return strings.TrimSuffix(name, ".k8s.io")
}

func reconcilesLabel(kinds []string) string {
	if len(kinds) > 2 {
		return fmt.Sprintf("reconciles %s and %d more", kinds[0], len(kinds)-1)
	}
	return "reconciles " + strings.Join(kinds, ", ")
}

func readyStatus(ready string) string {
	var a, b int
	if _, err := fmt.Sscanf(ready, "%d/%d", &a, &b); err != nil {
		return "unknown"
	}
	if a >= b && b > 0 {
		return "ok"
	}
	return "failing"
}

func componentVerb(name string) string {
	switch name {
	case "kube-scheduler":
		return "watches Pods, binds them"
	case "kube-controller-manager":
		return "reconciles built-in kinds"
	case "cloud-controller-manager":
		return "syncs with the cloud"
	}
	return "watches"
}

func componentLines(c arch.Component, offline bool) []string {
	if offline {
		return render.Wrap(c.Summary, 29)
	}
	var lines []string
	if c.Version != "" {
		lines = append(lines, "version "+c.Version)
	}
	if c.Health != "unknown" || len(c.Checks) > 0 {
		h := "health " + c.Health
		if c.Name == "etcd" && len(c.Checks) > 0 {
			h += fmt.Sprintf(" (%d checks)", len(c.Checks))
		}
		lines = append(lines, h)
	} else {
		lines = append(lines, "health unknown")
	}
	if c.Leader != nil {
		lines = append(lines, "leader "+ShortHolder(c.Leader.Holder))
	}
	if c.RunsOn != "" {
		lines = append(lines, c.RunsOn)
	}
	return lines
}

// maxPools and maxNamedNodes bound the summary of a big cluster's nodes; explain nodes and
// -o json list every node.
const (
	maxPools      = 6
	maxNamedNodes = 3
	// maxCRDGroups bounds the custom resources frame the same way; explain crd lists them all.
	maxCRDGroups = 6
)

// poolsGroup summarises nodes by pool: how many, how many Ready, which are not.
func poolsGroup(nodes []arch.Node) render.Group {
	type pool struct {
		name         string
		count, ready int
		notReady     []string
	}
	byName := map[string]*pool{}
	var order []*pool
	for _, n := range nodes {
		p := byName[n.Pool]
		if p == nil {
			p = &pool{name: n.Pool}
			byName[n.Pool] = p
			order = append(order, p)
		}
		p.count++
		if n.Ready {
			p.ready++
		} else {
			p.notReady = append(p.notReady, n.Name)
		}
	}
	// The biggest pools first; a pool with nodes down before others of its size.
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].count != order[j].count {
			return order[i].count > order[j].count
		}
		return len(order[i].notReady) > len(order[j].notReady)
	})
	grp := render.Group{ID: "more-nodes", Label: fmt.Sprintf("Nodes: %d in %d pools", len(nodes), len(order))}
	for i, p := range order {
		if i == maxPools {
			rest, ready := 0, 0
			for _, q := range order[i:] {
				rest += q.count
				ready += q.ready
			}
			grp.Nodes = append(grp.Nodes, render.Node{ID: "pools/more", Label: fmt.Sprintf("%d more pools", len(order)-i),
				Lines: []string{fmt.Sprintf("%s, %d Ready", plural(rest, "node"), ready)}, Status: readyStatus(fmt.Sprintf("%d/%d", ready, rest))})
			break
		}
		lines := []string{fmt.Sprintf("%s, %d Ready", plural(p.count, "node"), p.ready)}
		if len(p.notReady) > 0 {
			named := p.notReady
			if len(named) > maxNamedNodes {
				named = named[:maxNamedNodes]
			}
			more := ""
			if len(p.notReady) > len(named) {
				more = fmt.Sprintf(" +%d", len(p.notReady)-len(named))
			}
			lines = append(lines, "NotReady: "+strings.Join(named, ", ")+more)
		}
		label := p.name
		if label == "" {
			label = "unlabelled"
		}
		grp.Nodes = append(grp.Nodes, render.Node{ID: "pools/" + label, Label: label, Lines: lines, Status: readyStatus(fmt.Sprintf("%d/%d", p.ready, p.count))})
	}
	return grp
}

func nodeGroup(m *arch.Model, n arch.Node, edges *[]render.Edge) render.Group {
	role := "node"
	if len(n.Roles) > 0 {
		role = strings.Join(n.Roles, ",") + " node"
	}
	grp := render.Group{ID: "node/" + n.Name, Label: fmt.Sprintf("Node %s (%s, %s/%s)", n.Name, role, n.OS, n.Architecture)}
	status := "failing"
	ready := "NotReady"
	if n.Ready {
		status, ready = "ok", "Ready"
	}
	kid := "kubelet/" + n.Name
	rid := "runtime/" + n.Name
	kubeletLines := []string{"version " + n.KubeletVersion, ready}
	if c, ok := n.Capacity["cpu"]; ok {
		kubeletLines = append(kubeletLines, fmt.Sprintf("%s CPU, %s memory", c, HumanQuantity(n.Capacity["memory"])))
	}
	if n.PodCIDR != "" {
		kubeletLines = append(kubeletLines, "pod CIDR "+n.PodCIDR)
	}
	runtimeLines := []string{n.ContainerRuntime + " " + n.RuntimeVersion, n.OSImage, "kernel " + n.KernelVersion}
	if m.Offline {
		status = ""
		kubeletLines = render.Wrap(arch.KB().Component("kubelet").Summary, 29)
		runtimeLines = render.Wrap(arch.KB().Component("container-runtime").Summary, 29)
	}
	grp.Nodes = append(grp.Nodes,
		render.Node{ID: kid, Label: "kubelet", Lines: kubeletLines, Status: status},
		render.Node{ID: rid, Label: "container runtime", Lines: runtimeLines, Status: status},
	)
	*edges = append(*edges, render.Edge{From: kid, To: "kube-apiserver", Label: "watches its Pods, reports status"},
		render.Edge{From: kid, To: rid, Label: "CRI"})
	for _, a := range m.AddOns {
		if a.Component == "kube-proxy" || a.Component == "cni" {
			id := "addon/" + a.Namespace + "/" + a.Name + "/" + n.Name
			lines := []string{arch.KB().Component(a.Component).Title, "daemonset " + a.Ready + " ready"}
			if a.Mode != "" {
				lines = append(lines, "mode "+a.Mode)
			}
			st := readyStatus(a.Ready)
			if m.Offline {
				lines, st = render.Wrap(arch.KB().Component(a.Component).Summary, 29), ""
			}
			grp.Nodes = append(grp.Nodes, render.Node{ID: id, Label: a.Name, Lines: lines, Status: st})
		}
	}
	return grp
}

func title(m *arch.Model) string {
	if m.Offline {
		return "Kubernetes architecture (generic, offline)"
	}
	name := m.Cluster.Context
	if name == "" {
		name = m.Cluster.Server
	}
	t := "Cluster " + name
	if m.Cluster.Version != "" {
		t += " (Kubernetes " + m.Cluster.Version + ")"
	}
	return t
}

// coordination is the one sentence every diagram's subtitle teaches.
const coordination = "Components coordinate through kube-apiserver, the only one that reads and writes etcd."

func subtitle(m *arch.Model) string {
	if m.Offline {
		return "What every cluster is made of. " + coordination + " Run without --offline to see your cluster."
	}
	custom := 0
	for _, g := range m.APIGroups {
		if !g.BuiltIn {
			custom++
		}
	}
	nodes := fmt.Sprintf("%d node(s)", m.Cluster.NodeCount)
	for _, n := range m.Notes {
		if strings.Contains(n, "read nodes") {
			nodes = "nodes not readable"
		}
	}
	cached := ""
	if m.ReadAt != "" {
		cached = " Facts read at " + m.ReadAt + " (cached; --refresh re-reads)."
	}
	return fmt.Sprintf("%s, %s, %d API groups (%d custom), %d CRD(s). %s%s",
		m.Cluster.Server, nodes, len(m.APIGroups), custom, m.Cluster.CRDCount, coordination, cached)
}

// ShortHolder shortens a leader identity "host_8f0c...-uuid" to "host_8f0c..." so it fits a
// box; the full identity is in explain COMPONENT and -o json.
func ShortHolder(h string) string {
	if i := strings.Index(h, "_"); i > 0 && len(h) > i+9 {
		return h[:i+9] + "…"
	}
	return h
}

// HumanQuantity prints a memory quantity in Gi or Mi, as people read it.
func HumanQuantity(q string) string {
	qty, err := resource.ParseQuantity(q)
	if err != nil {
		return q
	}
	b := qty.Value()
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0fMi", float64(b)/(1<<20))
	}
	return q
}

// ChainGraph draws who acts on a resource as a left-to-right chain.
func ChainGraph(r *arch.ResourceExplanation) *render.Graph {
	g := &render.Graph{Title: "Who acts on " + r.Resource.Name}
	grp := render.Group{ID: "chain", Label: r.Resource.Kind + " (" + r.Resource.Name + ")"}
	grp.Nodes = append(grp.Nodes, render.Node{ID: "client", Label: "you or a client", Lines: []string{"kubectl, client-go"}},
		render.Node{ID: "kube-apiserver", Label: "kube-apiserver", Lines: []string{"stores it in etcd"}})
	g.Edges = append(g.Edges, render.Edge{From: "client", To: "kube-apiserver", Label: "writes " + r.Resource.Kind})
	prev := "kube-apiserver"
	if r.CRD != nil && r.CRD.Operator != nil {
		grp.Nodes = append(grp.Nodes, render.Node{ID: "operator", Label: r.CRD.Operator.Name, Lines: []string{"operator in " + r.CRD.Operator.Namespace}})
		g.Edges = append(g.Edges, render.Edge{From: "operator", To: prev, Label: "watches and reconciles"})
	}
	for i, s := range r.ActedOnBy {
		id := fmt.Sprintf("step%d", i)
		lines := render.Wrap(s.Does, 29)
		if s.In != "" {
			lines = append([]string{"in " + s.In}, lines...)
		}
		grp.Nodes = append(grp.Nodes, render.Node{ID: id, Label: s.Actor, Lines: lines})
		g.Edges = append(g.Edges, render.Edge{From: prev, To: id, Label: s.Resource})
		prev = id
	}
	g.Groups = []render.Group{grp}
	return g
}

// TopicGraph draws a component or concept with what it talks to.
func TopicGraph(t *arch.TopicExplanation) *render.Graph {
	e := t.Entry
	g := &render.Graph{Title: e.Name + ": " + e.Title, Subtitle: e.Summary}
	grp := render.Group{ID: "topic", Label: e.Title}
	grp.Nodes = append(grp.Nodes, render.Node{ID: e.Name, Label: e.Name, Lines: render.Wrap(e.Summary, 29)})
	others := append([]string{}, e.TalksTo...)
	sort.Strings(others)
	for _, o := range others {
		oe := arch.KB().Component(o)
		grp.Nodes = append(grp.Nodes, render.Node{ID: o, Label: o, Lines: render.Wrap(oe.Summary, 29)})
		g.Edges = append(g.Edges, render.Edge{From: e.Name, To: o, Label: "talks to"})
	}
	g.Groups = []render.Group{grp}
	return g
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
