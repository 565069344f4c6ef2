package arch

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/render"
)

// Explanation kinds, the "kind" field of -o json|yaml for `explain TOPIC`.
const (
	KindComponent = "ComponentExplanation"
	KindConcept   = "ConceptExplanation"
	KindResource  = "ResourceExplanation"
)

// TopicExplanation is a component or concept with what this cluster shows of it.
type TopicExplanation struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Offline    bool   `json:"offline"`
	Entry      Entry  `json:"entry"`
	// Live holds the facts found in the cluster; empty offline.
	Live *LiveFacts `json:"live,omitempty"`
}

// LiveFacts are the parts of the model a topic is about.
type LiveFacts struct {
	Component       *Component `json:"component,omitempty"`
	Nodes           []Node     `json:"nodes,omitempty"`
	AddOns          []AddOn    `json:"addOns,omitempty"`
	CustomResources []CRDGroup `json:"customResources,omitempty"`
	APIGroups       int        `json:"apiGroups,omitempty"`
	// AggregatedGroups are the groups kube-apiserver forwards to extension API servers.
	AggregatedGroups []APIGroup `json:"aggregatedGroups,omitempty"`
	Webhooks         []Webhook  `json:"webhooks,omitempty"`
	// OperatorsInferred is false when operators could not be looked for.
	OperatorsInferred bool     `json:"operatorsInferred,omitempty"`
	Warnings          []string `json:"warnings,omitempty"`
	Notes             []string `json:"notes,omitempty"`
}

// ResourceExplanation is a resource kind: its API facts, schema and who acts on it.
type ResourceExplanation struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resource   Resource `json:"resource"`
	BuiltIn    bool     `json:"builtIn"`
	// Aggregated is set when an extension API server, not kube-apiserver, serves the group.
	Aggregated       *AggregatedAPI `json:"aggregated,omitempty"`
	GroupDescription string         `json:"groupDescription,omitempty"`
	Concept          *Entry         `json:"concept,omitempty"`
	Schema           *KindSchema    `json:"schema,omitempty"`
	SchemaNote       string         `json:"schemaNote,omitempty"`
	ActedOnBy        []ChainStep    `json:"actedOnBy"`
	// Path is the chain in one line: Deployment -> deployment controller -> ReplicaSet ...
	Path []string `json:"path"`
	CRD  *CRD     `json:"crd,omitempty"`
	// Webhooks are the admission webhooks called when the resource is written.
	Webhooks []Webhook `json:"webhooks,omitempty"`
	// OperatorsInferred is false when operators could not be looked for.
	OperatorsInferred bool `json:"operatorsInferred"`
	// FieldPath is the dotted path asked for (pod.spec.containers), empty for the kind.
	FieldPath string `json:"fieldPath,omitempty"`
}

// ExplainTopic gathers a component or concept with its live facts from m.
func ExplainTopic(m *Model, e *Entry) *TopicExplanation {
	kind := KindComponent
	if KB().IsConcept(e) {
		kind = KindConcept
	}
	t := &TopicExplanation{APIVersion: SchemaVersion, Kind: kind, Offline: m.Offline, Entry: *e}
	if m.Offline {
		return t
	}
	live := &LiveFacts{}
	switch e.Name {
	case "kubelet", "container-runtime":
		live.Nodes = m.Nodes
	case "kube-proxy", "coredns", "cni", "metrics-server":
		for _, a := range m.AddOns {
			if a.Component == e.Name {
				live.AddOns = append(live.AddOns, a)
			}
		}
		if e.Name == "metrics-server" {
			live.AggregatedGroups = aggregatedGroups(m, "metrics.k8s.io")
		}
	case "crd", "operator", "controller":
		live.CustomResources = m.CustomResources
		if e.Name == "controller" {
			live.Component = m.Component("kube-controller-manager")
		}
	case "api-group":
		live.APIGroups = len(m.APIGroups)
		live.AggregatedGroups = aggregatedGroups(m, "")
	case "admission-webhook":
		live.Webhooks = m.Webhooks
	default:
		live.Component = m.Component(e.Name)
	}
	live.Warnings = m.Warnings
	live.Notes = m.Notes
	live.OperatorsInferred = m.Cluster.OperatorsInferred
	t.Live = live
	return t
}

func section(w io.Writer, st render.Style, title string) {
	fmt.Fprintf(w, "\n%s\n", st.Heading(title))
}

// WriteOverview prints the diagram and a short explanation of each part present.
func WriteOverview(w io.Writer, m *Model, st render.Style) error {
	if err := render.Boxes(w, m.Graph(), st); err != nil {
		return err
	}
	writeFindings(w, m, st)
	kb := KB()
	section(w, st, "What each part does")
	var names []string
	for _, c := range m.ControlPlane {
		names = append(names, c.Name)
	}
	if len(m.Nodes) > 0 {
		names = append(names, "kubelet", "container-runtime")
	}
	seen := map[string]bool{}
	for _, a := range m.AddOns {
		if a.Component != "add-on" && !seen[a.Component] {
			seen[a.Component] = true
			names = append(names, a.Component)
		}
	}
	for _, n := range names {
		e := kb.Component(n)
		fmt.Fprintf(w, "  %s\n", st.Bold(e.Name))
		render.Paragraph(w, st, 4, e.Summary)
	}
	if len(m.APIGroups) > 0 {
		e := kb.Component("api-group")
		fmt.Fprintf(w, "  %s\n", st.Bold("API groups"))
		builtIn := 0
		for _, g := range m.APIGroups {
			if g.BuiltIn {
				builtIn++
			}
		}
		here := fmt.Sprintf(" This cluster serves %d built-in and %d custom groups;", builtIn, len(m.APIGroups)-builtIn)
		if m.Offline {
			here = ""
		}
		render.Paragraph(w, st, 4, e.Summary+here+" kubectl arch api-versions lists them and kubectl arch api-resources their kinds.")
	}
	if len(m.Webhooks) > 0 {
		e := kb.Component("admission-webhook")
		fmt.Fprintf(w, "  %s\n", st.Bold("admission webhooks"))
		render.Paragraph(w, st, 4, e.Summary+" With failurePolicy Fail, a webhook that cannot answer blocks the writes it matches.")
		for _, h := range m.Webhooks {
			render.Paragraph(w, st, 4, "- "+webhookLine(h))
		}
	}
	if len(m.CustomResources) > 0 {
		op := kb.Component("operator")
		fmt.Fprintf(w, "  %s\n", st.Bold("custom resources and operators"))
		render.Paragraph(w, st, 4, op.Summary+" "+firstSentences(op.Does, 2))
		for _, g := range m.CustomResources {
			for _, c := range g.CRDs {
				render.Paragraph(w, st, 4, "- "+crdLine(c, m.Cluster.OperatorsInferred))
			}
		}
	}
	fmt.Fprintf(w, "\nMore: kubectl arch explain COMPONENT|RESOURCE|CONCEPT (etcd, pods, operator)\n")
	return nil
}

// webhookLine says in one sentence what a webhook intercepts, who answers and what happens
// when it cannot.
func webhookLine(h Webhook) string {
	who := webhookAnswerer(h)
	effect := "writes it matches are refused while it cannot answer"
	if h.FailurePolicy == "Ignore" {
		effect = "writes go through unchecked while it cannot answer"
	}
	if h.Ready != "" {
		who += ", " + h.Ready + " ready"
	}
	return fmt.Sprintf("%s (%s, configuration %s): %s; answered by %s; timeout %ds, failurePolicy %s: %s.",
		h.Name, h.Kind, h.Configuration, strings.Join(h.Intercepts, "; "), who, h.TimeoutSeconds, h.FailurePolicy, effect)
}

func webhookAnswerer(h Webhook) string {
	switch {
	case h.ServedBy != "":
		return h.ServedBy + " (Service " + h.Service + ")"
	case h.Service != "":
		return "Service " + h.Service
	}
	return "a URL outside the cluster"
}

func crdLine(c CRD, inferred bool) string {
	if c.Operator == nil && !inferred {
		return fmt.Sprintf("%s (%s): operator unknown; Deployments or RBAC are not readable with these credentials.", c.Name, c.Kind)
	}
	if c.Operator == nil {
		return fmt.Sprintf("%s (%s): operator unknown; no Deployment, StatefulSet or DaemonSet is allowed to write it, serves its webhooks or shares its labels.", c.Name, c.Kind)
	}
	return fmt.Sprintf("%s (%s): reconciled by %s %s, because %s.", c.Name, c.Kind, strings.ToLower(c.Operator.Kind), c.Operator.Ref(), strings.Join(c.Operator.Evidence, "; "))
}

func firstSentences(text string, n int) string {
	parts := strings.SplitAfter(text, ". ")
	if len(parts) <= n {
		return text
	}
	return strings.TrimSpace(strings.Join(parts[:n], ""))
}

// WriteTopic prints a component or concept: what it does, its live facts, what it talks to,
// failure and symptom, and the official docs.
func WriteTopic(w io.Writer, t *TopicExplanation, st render.Style) error {
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
			other := KB().Component(n)
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

func writeLive(w io.Writer, t *TopicExplanation, st render.Style) {
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

// WriteResource prints a resource's API facts, who acts on it and its schema fields.
func WriteResource(w io.Writer, r *ResourceExplanation, recursive bool, st render.Style) error {
	res := r.Resource
	gv := res.Version
	if res.Group != "" {
		gv = res.Group + "/" + res.Version
	}
	fmt.Fprintf(w, "%s  %s\n", st.Bold("KIND: "+res.Kind), st.Dim("("+gv+")"))
	scope := "namespaced"
	if !res.Namespaced {
		scope = "cluster-scoped"
	}
	origin := "built-in"
	switch {
	case r.Aggregated != nil:
		origin = "served by the extension API server behind Service " + r.Aggregated.Service
		if !r.Aggregated.Available {
			origin += " (unavailable)"
		}
	case !r.BuiltIn:
		origin = "custom (CustomResourceDefinition)"
	}
	fmt.Fprintf(w, "RESOURCE: %s, %s, %s\n", res.Name, scope, origin)
	if len(res.ShortNames) > 0 {
		fmt.Fprintf(w, "SHORT NAMES: %s\n", strings.Join(res.ShortNames, ", "))
	}
	fmt.Fprintf(w, "VERBS: %s\n", strings.Join(res.Verbs, ", "))
	if r.GroupDescription != "" {
		group := res.Group
		if group == "" {
			group = "core"
		}
		render.Paragraph(w, st, 0, fmt.Sprintf("GROUP %s: %s", group, r.GroupDescription))
	}
	if a := r.Aggregated; a != nil && r.Concept == nil {
		section(w, st, "What it is")
		group := res.Group
		render.Paragraph(w, st, 2, fmt.Sprintf("A resource of an aggregated API: kube-apiserver authenticates and authorises each request for %s, then forwards it to the extension API server behind Service %s, which answers it. The objects live wherever that server keeps them, not necessarily in etcd, and the group works only while that server does.", group, a.Service))
		if !a.Available {
			render.Paragraph(w, st, 2, fmt.Sprintf("Now: not available (%s: %s).", a.Reason, strings.TrimSuffix(a.Message, ".")))
		}
		fmt.Fprintf(w, "  Docs: %s\n", aggregationDocs)
	} else if r.Concept == nil && !r.BuiltIn {
		crd := KB().Component("crd")
		op := KB().Component("operator")
		section(w, st, "What it is")
		render.Paragraph(w, st, 2, fmt.Sprintf("A custom resource: a CustomResourceDefinition added %s to the API. %s %s", res.Kind, op.Summary, firstSentences(op.Does, 2)))
		fmt.Fprintf(w, "  Docs: %s\n        %s\n", crd.Docs, op.Docs)
	}
	if r.Concept != nil {
		section(w, st, "What it is")
		render.Paragraph(w, st, 2, r.Concept.Summary+" "+r.Concept.Does)
		fmt.Fprintf(w, "  Docs: %s\n", r.Concept.Docs)
	}
	if r.Schema != nil && r.Schema.Description != "" && r.FieldPath == "" {
		section(w, st, "Description")
		render.Paragraph(w, st, 2, r.Schema.Description)
	}
	section(w, st, "Who acts on it")
	if len(r.Path) > 1 {
		render.Paragraph(w, st, 2, "In short: "+strings.Join(r.Path, " -> "))
		fmt.Fprintln(w)
	}
	render.Paragraph(w, st, 2, "you or a client -> kube-apiserver (authenticates, authorises, admits, stores it in etcd)")
	for _, h := range r.Webhooks {
		render.Paragraph(w, st, 4, fmt.Sprintf("- calls the %s webhook %s (failurePolicy %s) on %s; answered by %s", h.Kind, h.Name,
			h.FailurePolicy, strings.Join(h.Intercepts, "; "), webhookAnswerer(h)))
	}
	if r.CRD != nil {
		if r.CRD.Operator != nil {
			render.Paragraph(w, st, 2, fmt.Sprintf("-> operator %s %s (%s)", strings.ToLower(r.CRD.Operator.Kind), r.CRD.Operator.Ref(), strings.Join(r.CRD.Operator.Evidence, "; ")))
			for _, c := range r.CRD.Candidates {
				render.Paragraph(w, st, 4, fmt.Sprintf("also possible: %s %s (%s)", strings.ToLower(c.Kind), c.Ref(), strings.Join(c.Evidence, "; ")))
			}
		} else if !r.OperatorsInferred {
			render.Paragraph(w, st, 2, "-> operator unknown: Deployments or RBAC are not readable with these credentials")
		} else {
			render.Paragraph(w, st, 2, "-> operator unknown: no Deployment, StatefulSet or DaemonSet is allowed to write it, serves its webhooks or shares its labels; without one, objects are stored but nothing acts on them")
		}
	}
	for _, s := range r.ActedOnBy {
		actor := s.Actor
		if s.In != "" {
			actor += " (" + s.In + ")"
		}
		render.Paragraph(w, st, 2, fmt.Sprintf("-> %s %s", actor, s.Does))
	}
	if r.CRD == nil && len(r.ActedOnBy) == 0 {
		render.Paragraph(w, st, 2, "-> no controller is known to act on it: it is data that clients and components read")
	}
	title := "Fields"
	if r.FieldPath != "" {
		title = "Fields of " + r.FieldPath
	}
	section(w, st, title)
	switch {
	case r.Schema == nil:
		render.Paragraph(w, st, 2, r.SchemaNote)
	default:
		if r.Schema.Open {
			render.Paragraph(w, st, 2, "Schema-less: the kind accepts any fields (x-kubernetes-preserve-unknown-fields), so the API server stores whatever is sent and only the operator gives the fields meaning.")
			fmt.Fprintln(w)
		}
		if r.SchemaNote != "" {
			render.Paragraph(w, st, 2, r.SchemaNote)
		}
		writeFields(w, r.Schema.Fields, recursive, 1, st)
	}
	return nil
}

func writeFields(w io.Writer, fields []Field, recursive bool, depth int, st render.Style) {
	indent := strings.Repeat("  ", depth)
	for _, f := range fields {
		req := ""
		if f.Required {
			req = " -required-"
		}
		open := ""
		if f.Open {
			open = " (any fields)"
		}
		fmt.Fprintf(w, "%s%s\t<%s>%s%s\n", indent, st.Bold(f.Name), f.Type, req, open)
		if recursive {
			writeFields(w, f.Fields, true, depth+1, st)
			continue
		}
		if f.Description != "" {
			render.Paragraph(w, st, len(indent)+2, firstSentences(f.Description, 2))
		}
		fmt.Fprintln(w)
	}
}

// SelectField narrows a schema to the field at path (spec.containers), as kubectl explain
// does for pod.spec.containers.
func SelectField(s *KindSchema, path []string) (*KindSchema, error) {
	fields := s.Fields
	var cur *Field
	for depth, p := range path {
		found := false
		for i := range fields {
			if fields[i].Name == p {
				cur = &fields[i]
				fields = cur.Fields
				found = true
				break
			}
		}
		if !found {
			return nil, missingField(p, path[:depth], fields)
		}
	}
	if cur == nil {
		return s, nil
	}
	return &KindSchema{Description: cur.Description, Fields: cur.Fields, Open: cur.Open}, nil
}

// nodeResources says what the node has and what of it Pods may use, as people read sizes.
func nodeResources(n Node) string {
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
func nodePressure(n Node) string {
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

// aggregatedGroups are the model's groups served by extension API servers; name "" means
// all of them.
func aggregatedGroups(m *Model, name string) []APIGroup {
	var out []APIGroup
	for _, g := range m.APIGroups {
		if g.Aggregated != nil && (name == "" || g.Name == name) {
			out = append(out, g)
		}
	}
	return out
}

const aggregationDocs = "https://kubernetes.io/docs/concepts/extend-kubernetes/api-extension/apiserver-aggregation/"

// missingField names the fields that do exist where the path went wrong, as the next thing
// to type.
func missingField(name string, parent []string, fields []Field) error {
	where := "at the top level"
	if len(parent) > 0 {
		where = "under " + strings.Join(parent, ".")
	}
	if len(fields) == 0 {
		return fmt.Errorf("field %q does not exist: %s has no fields of its own", name, strings.TrimPrefix(where, "under "))
	}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Name)
	}
	return fmt.Errorf("field %q does not exist; fields %s: %s", name, where, strings.Join(names, ", "))
}

// ChainGraph draws who acts on a resource as a left-to-right chain.
func ChainGraph(r *ResourceExplanation) *render.Graph {
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
func TopicGraph(t *TopicExplanation) *render.Graph {
	e := t.Entry
	g := &render.Graph{Title: e.Name + ": " + e.Title, Subtitle: e.Summary}
	grp := render.Group{ID: "topic", Label: e.Title}
	grp.Nodes = append(grp.Nodes, render.Node{ID: e.Name, Label: e.Name, Lines: render.Wrap(e.Summary, 29)})
	others := append([]string{}, e.TalksTo...)
	sort.Strings(others)
	for _, o := range others {
		oe := KB().Component(o)
		grp.Nodes = append(grp.Nodes, render.Node{ID: o, Label: o, Lines: render.Wrap(oe.Summary, 29)})
		g.Edges = append(g.Edges, render.Edge{From: e.Name, To: o, Label: "talks to"})
	}
	g.Groups = []render.Group{grp}
	return g
}
