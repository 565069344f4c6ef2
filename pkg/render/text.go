package render

import (
	"fmt"
	"io"
	"strings"
)

// Style decides how terminal output looks; the zero value is plain text, 80 columns.
type Style struct {
	Color bool
	Width int
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func (s Style) width() int {
	if s.Width <= 0 {
		return 80
	}
	return s.Width
}

func (s Style) wrap(code, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return code + text + ansiReset
}

// Bold, Dim and Heading mark text when colour is on.
func (s Style) Bold(t string) string    { return s.wrap(ansiBold, t) }
func (s Style) Dim(t string) string     { return s.wrap(ansiDim, t) }
func (s Style) Heading(t string) string { return s.wrap(ansiBold+ansiCyan, t) }

// Status colours a health word.
func (s Style) Status(status, text string) string {
	switch status {
	case "ok":
		return s.wrap(ansiGreen, text)
	case "failing":
		return s.wrap(ansiRed, text)
	case "unknown":
		return s.wrap(ansiYellow, text)
	}
	return text
}

func marker(status string) string {
	switch status {
	case "ok":
		return "●"
	case "failing":
		return "✖"
	case "unknown":
		return "?"
	}
	return "•"
}

// Boxes draws the graph as framed groups, one under the other, then the links, then notes.
// Every line fits the style's width; colour codes are added after measuring.
func Boxes(w io.Writer, g *Graph, st Style) error {
	width := st.width()
	inner := width - 4
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(st.Bold(Truncate(g.Title, width)) + "\n")
	}
	if g.Subtitle != "" {
		for _, l := range Wrap(g.Subtitle, width) {
			b.WriteString(st.Dim(l) + "\n")
		}
	}
	if len(g.Warnings) > 0 {
		for _, l := range Wrap(fmt.Sprintf("Attention: %d warning(s) at the end name parts that are not working.", len(g.Warnings)), width) {
			b.WriteString(st.Status("failing", l) + "\n")
		}
	}
	if len(g.Notes) > 0 {
		for _, l := range Wrap(fmt.Sprintf("Partial view: %d note(s) at the end say what could not be read.", len(g.Notes)), width) {
			b.WriteString(st.Status("unknown", l) + "\n")
		}
	}
	for _, grp := range g.Groups {
		b.WriteString("\n")
		title := Truncate(grp.Label, width-6)
		b.WriteString("┌─ " + st.Heading(title) + " " + strings.Repeat("─", width-5-Width(title)) + "┐\n")
		// Two parts side by side keep the drawing short enough to read without scrolling.
		cw := (inner - 3) / 2
		for i := 0; i < len(grp.Nodes); i += 2 {
			if i > 0 {
				b.WriteString("│" + strings.Repeat(" ", width-2) + "│\n")
			}
			left := nodeCell(grp.Nodes[i], cw, st)
			var right []string
			if i+1 < len(grp.Nodes) {
				right = nodeCell(grp.Nodes[i+1], cw, st)
			}
			for len(right) < len(left) {
				right = append(right, strings.Repeat(" ", cw))
			}
			for len(left) < len(right) {
				left = append(left, strings.Repeat(" ", cw))
			}
			for k := range left {
				b.WriteString("│ " + left[k] + "   " + right[k] + strings.Repeat(" ", inner-2*cw-3) + " │\n")
			}
		}
		if len(grp.Nodes) == 0 {
			b.WriteString("│ " + pad("(none visible)", inner) + " │\n")
		}
		b.WriteString("└" + strings.Repeat("─", width-2) + "┘\n")
	}
	if len(g.Edges) > 0 {
		b.WriteString("\n" + st.Heading("Connections") + "\n")
		labelOf := func(id string) string {
			if n := g.Node(id); n != nil {
				return n.Label
			}
			return id
		}
		for _, e := range g.Edges {
			arrow := " ──▶ "
			if e.Dashed {
				arrow = " ╌╌▶ "
			}
			line := "  " + labelOf(e.From) + arrow + labelOf(e.To)
			if e.Label != "" {
				line += ": " + e.Label
			}
			b.WriteString(Truncate(line, width) + "\n")
		}
	}
	for _, list := range []struct {
		title string
		items []string
	}{{"Warnings", g.Warnings}, {"Notes", g.Notes}} {
		if len(list.items) == 0 {
			continue
		}
		b.WriteString("\n" + st.Heading(list.title) + "\n")
		for _, n := range list.items {
			for i, l := range Wrap(n, width-4) {
				prefix := "  - "
				if i > 0 {
					prefix = "    "
				}
				b.WriteString(prefix + l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Paragraph writes text wrapped to the style's width with an indent; text that starts with
// "- " or "-> " is a list item whose continuation lines hang under its first word.
func Paragraph(w io.Writer, st Style, indent int, text string) {
	hang := 0
	for _, p := range []string{"- ", "-> "} {
		if strings.HasPrefix(text, p) {
			hang = len(p)
		}
	}
	lines := Wrap(text, st.width()-indent)
	if hang > 0 && len(lines) > 1 {
		rest := Wrap(strings.Join(lines[1:], " "), st.width()-indent-hang)
		lines = append(lines[:1], rest...)
	}
	for i, l := range lines {
		pre := indent
		if i > 0 {
			pre += hang
		}
		fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", pre), l)
	}
}

// nodeCell draws one part as lines of exactly cw cells (colour codes excluded).
func nodeCell(n Node, cw int, st Style) []string {
	head := Truncate(marker(n.Status)+" "+n.Label, cw)
	label := strings.TrimPrefix(head, marker(n.Status)+" ")
	out := []string{st.Status(n.Status, marker(n.Status)) + " " + st.Bold(label) + strings.Repeat(" ", cw-Width(head))}
	for _, line := range n.Lines {
		for _, l := range Wrap(line, cw-2) {
			out = append(out, "  "+pad(l, cw-2))
		}
	}
	return out
}
