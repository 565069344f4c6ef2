// Package render draws diagrams for terminals (boxes), documents (DOT, Mermaid) and
// pictures (SVG), all from one Graph, so every format shows the same parts and links.
// It knows nothing about Kubernetes; pkg/arch builds the Graph.
package render

import (
	"strings"

	"github.com/clipperhouse/displaywidth"
)

// Graph is a diagram: boxes of parts, grouped, with labelled links between parts.
type Graph struct {
	Title    string
	Subtitle string
	Groups   []Group
	Edges    []Edge
	// Warnings are printed under the diagram, before the notes: problems that were seen.
	Warnings []string
	// Notes are printed under the diagram: what could not be seen.
	Notes []string
}

// Group is a labelled frame around parts (the control plane, one node, the add-ons).
type Group struct {
	ID    string
	Label string
	Nodes []Node
}

// Node is one part. Status colours it: "ok", "failing", "unknown" or "" (no health known).
type Node struct {
	ID     string
	Label  string
	Lines  []string
	Status string
}

// Edge is a link from one part to another.
type Edge struct {
	From, To string
	Label    string
	Dashed   bool
}

// Node returns the part with the given ID, or nil.
func (g *Graph) Node(id string) *Node {
	for gi := range g.Groups {
		for ni := range g.Groups[gi].Nodes {
			if g.Groups[gi].Nodes[ni].ID == id {
				return &g.Groups[gi].Nodes[ni]
			}
		}
	}
	return nil
}

// Width is the number of terminal cells s takes. Labels come from cluster objects and may
// hold wide characters (CJK names, emoji) that take two cells each, so runes are not cells.
func Width(s string) int { return displaywidth.String(s) }

// Truncate shortens s to at most n cells, marking the cut with an ellipsis. A wide character
// that would straddle the limit is dropped whole, so the result may be a cell short of n.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	return displaywidth.TruncateString(s, n, "…")
}

// Wrap breaks text into lines of at most n cells at spaces; words longer than n are cut.
func Wrap(text string, n int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(text) {
		word = Truncate(word, n)
		if cur.Len() > 0 && Width(cur.String())+1+Width(word) > n {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func pad(s string, n int) string {
	if w := Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
