package archtree

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubectl-katib/plugins/pkg/render"
)

// renderStatus maps a health to the colours the renderers know; "progressing" is drawn as
// the yellow of a part whose health is not settled.
func renderStatus(health string) string {
	switch health {
	case healthOK, healthFailing:
		return health
	case healthProgressing:
		return "unknown"
	}
	return ""
}

// statusText is the STATUS column: the phase, and the reason when there is one. A running
// Pod's reason stands alone, as in kubectl get pods: "CrashLoopBackOff" says it all.
func statusText(n *Node) string {
	s := n.Status
	switch {
	case n.Kind == "Pod" && s.Phase == "Running" && s.Reason != "":
		return s.Reason
	case s.Phase == "":
		return s.Reason
	case s.Reason == "" || s.Reason == s.Phase:
		return s.Phase
	}
	return s.Phase + ": " + s.Reason
}

func label(n *Node) string { return n.Kind + "/" + n.Name }

// Write draws the tree as kubectl-tree does, with READY, STATUS and AGE columns, then the
// notes on what could not be read. now fixes the ages, for tests.
func Write(w io.Writer, t *Tree, now time.Time, st render.Style) error {
	var conv func(n *Node) *render.TreeNode
	conv = func(n *Node) *render.TreeNode {
		age := ""
		if n.Created != nil {
			age = duration.HumanDuration(now.Sub(*n.Created))
		}
		rel := n.Relation
		if rel == RelOwns {
			// Ownership is the tree's main link; kubectl-tree draws it without a word.
			rel = ""
		}
		tn := &render.TreeNode{Relation: rel, Label: label(n), Columns: []string{n.Status.Ready, statusText(n), age},
			Status: renderStatus(n.Status.Health), Details: n.Details, Faded: n.Seen}
		if n.Seen {
			tn.Label += " (shown above)"
			tn.Details = nil
		}
		for _, c := range n.Children {
			tn.Children = append(tn.Children, conv(c))
		}
		return tn
	}
	if t.Root.Namespace != "" {
		if _, err := fmt.Fprintf(w, "%s\n", st.Dim("Namespace "+t.Root.Namespace)); err != nil {
			return err
		}
	}
	if err := render.TreeTable(w, []string{"NAME", "READY", "STATUS", "AGE"}, 1, []*render.TreeNode{conv(t.Root)}, st); err != nil {
		return err
	}
	if len(t.Notes) > 0 {
		var b strings.Builder
		b.WriteString("\n" + st.Status("unknown", "Partial view:") + "\n")
		for _, n := range t.Notes {
			for i, l := range render.Wrap(n, max(stWidth(st)-4, 20)) {
				prefix := "  - "
				if i > 0 {
					prefix = "    "
				}
				b.WriteString(prefix + l + "\n")
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return nil
}

func stWidth(st render.Style) int {
	if st.Width <= 0 {
		return 80
	}
	return st.Width
}

// groupOf puts each kind in a frame of the diagram, so a picture reads by layer.
func groupOf(n *Node) (string, string) {
	switch n.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob":
		return "workloads", "Workloads"
	case "Pod":
		return "pods", "Pods"
	case "Service", "EndpointSlice":
		return "network", "Network"
	case "PersistentVolumeClaim", "PersistentVolume", "StorageClass":
		return "storage", "Storage"
	case "ConfigMap", "Secret":
		return "config", "Configuration"
	case "ServiceAccount", "RoleBinding", "ClusterRoleBinding", "Role", "ClusterRole":
		return "access", "Access"
	case "HorizontalPodAutoscaler", "PodDisruptionBudget":
		return "policy", "Scaling and disruption"
	case "Node":
		return "nodes", "Nodes"
	}
	if !isBuiltin(groupOfAPIVersion(n.APIVersion)) {
		return "custom", "Custom resources"
	}
	return "other", "Other objects"
}

func groupOfAPIVersion(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

// Graph turns the tree into a diagram for -o dot|mermaid|svg: one part per object, one
// link per relation, framed by layer.
func (t *Tree) Graph() *render.Graph {
	g := &render.Graph{Title: label(t.Root), Notes: t.Notes}
	if t.Root.Namespace != "" {
		g.Subtitle = "in namespace " + t.Root.Namespace
	}
	order := []string{"custom", "workloads", "pods", "network", "policy", "config", "storage", "access", "nodes", "other"}
	groups := map[string]*render.Group{}
	ids := map[string]bool{}
	id := func(n *Node) string {
		return strings.ToLower(n.Kind) + "/" + n.Namespace + "/" + n.Name
	}
	t.Root.Walk(func(n, parent *Node) {
		nid := id(n)
		if !ids[nid] {
			ids[nid] = true
			gid, glabel := groupOf(n)
			grp := groups[gid]
			if grp == nil {
				grp = &render.Group{ID: gid, Label: glabel}
				groups[gid] = grp
			}
			var lines []string
			if s := strings.TrimSpace(n.Status.Ready + " " + statusText(n)); s != "" {
				lines = append(lines, s)
			}
			lines = append(lines, n.Details...)
			grp.Nodes = append(grp.Nodes, render.Node{ID: nid, Label: label(n), Lines: lines, Status: renderStatus(n.Status.Health)})
		}
		if parent != nil {
			rel := n.Relation
			g.Edges = append(g.Edges, render.Edge{From: id(parent), To: nid, Label: rel, Dashed: rel != RelOwns})
		}
	})
	for _, gid := range order {
		if grp := groups[gid]; grp != nil {
			g.Groups = append(g.Groups, *grp)
		}
	}
	return g
}
