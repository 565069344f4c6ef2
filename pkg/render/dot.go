package render

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_]`)

// safeID turns an ID into one that DOT and Mermaid accept unquoted.
func safeID(id string) string { return "n_" + unsafeID.ReplaceAllString(id, "_") }

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

var statusFill = map[string]string{"ok": "#e6f4ea", "failing": "#fce8e6", "unknown": "#fef7e0", "": "#f1f3f4"}
var statusStroke = map[string]string{"ok": "#188038", "failing": "#c5221f", "unknown": "#b06000", "": "#5f6368"}

// DOT writes the graph in Graphviz's language, one cluster per group.
func DOT(w io.Writer, g *Graph) error {
	var b strings.Builder
	b.WriteString("digraph architecture {\n")
	b.WriteString("  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=" + dotQuote(g.Title) + "];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, grp := range g.Groups {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%s;\n    style=rounded;\n", unsafeID.ReplaceAllString(grp.ID, "_"), dotQuote(grp.Label))
		for _, n := range grp.Nodes {
			label := strings.Join(append([]string{n.Label}, n.Lines...), "\n")
			fmt.Fprintf(&b, "    %s [label=%s, fillcolor=%s, color=%s];\n", safeID(n.ID), dotQuote(label),
				dotQuote(statusFill[n.Status]), dotQuote(statusStroke[n.Status]))
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.Edges {
		attrs := []string{"label=" + dotQuote(e.Label)}
		if e.Dashed {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", safeID(e.From), safeID(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

// Mermaid writes the graph as a Mermaid flowchart, one subgraph per group.
func Mermaid(w io.Writer, g *Graph) error {
	var b strings.Builder
	if g.Title != "" {
		b.WriteString("---\ntitle: " + mermaidText(g.Title) + "\n---\n")
	}
	b.WriteString("flowchart TB\n")
	for _, grp := range g.Groups {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", "g_"+unsafeID.ReplaceAllString(grp.ID, "_"), mermaidText(grp.Label))
		for _, n := range grp.Nodes {
			label := "<b>" + mermaidText(n.Label) + "</b>"
			for _, l := range n.Lines {
				label += "<br/>" + mermaidText(l)
			}
			fmt.Fprintf(&b, "    %s[\"%s\"]:::%s\n", safeID(n.ID), label, statusClass(n.Status))
		}
		b.WriteString("  end\n")
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Dashed {
			arrow = "-.->"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", safeID(e.From), arrow, mermaidText(e.Label), safeID(e.To))
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", safeID(e.From), arrow, safeID(e.To))
		}
	}
	for _, s := range []string{"ok", "failing", "unknown", ""} {
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s\n", statusClass(s), statusFill[s], statusStroke[s])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func statusClass(s string) string {
	if s == "" {
		return "plain"
	}
	return s
}
