package render

import (
	"io"
	"strings"
)

// TreeNode is one row of a tree table: a label drawn under its parent with box-drawing
// branches, a few columns on the right, and optional detail lines under it.
type TreeNode struct {
	// Relation is a short word drawn dimmed before the label, saying how the row relates to
	// its parent ("runs on", "mounts"); empty for plain ownership.
	Relation string
	Label    string
	// Columns line up under the table's header, after the label column.
	Columns []string
	// Status colours the last column and the marker: "ok", "failing", "unknown" or "".
	Status string
	// Details are dimmed lines under the row, such as a summary of what a role allows.
	Details []string
	// Faded rows repeat something drawn earlier in the tree.
	Faded    bool
	Children []*TreeNode
}

type treeRow struct {
	prefix, detailPrefix string
	node                 *TreeNode
}

// minLabelWidth keeps object names readable on narrow terminals: the right-hand columns are
// cut before the names are.
const minLabelWidth = 32

// TreeTable draws roots and their descendants like kubectl-tree: the first column is the
// tree, then the header's other columns aligned. Every line fits the style's width (colour
// codes are added after measuring). statusColumn is the index in Columns of the column
// coloured by each row's Status.
func TreeTable(w io.Writer, header []string, statusColumn int, roots []*TreeNode, st Style) error {
	var rows []treeRow
	var walk func(n *TreeNode, prefix, childPrefix string)
	walk = func(n *TreeNode, prefix, childPrefix string) {
		detail := childPrefix
		if len(n.Children) > 0 {
			detail += "│  "
		} else {
			detail += "   "
		}
		rows = append(rows, treeRow{prefix: prefix, detailPrefix: detail, node: n})
		for i, c := range n.Children {
			if i == len(n.Children)-1 {
				walk(c, childPrefix+"└─ ", childPrefix+"   ")
			} else {
				walk(c, childPrefix+"├─ ", childPrefix+"│  ")
			}
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	ncol := len(header) - 1
	colW := make([]int, ncol)
	labelW := 0
	if len(header) > 0 {
		labelW = Width(header[0])
	}
	for i := range ncol {
		colW[i] = Width(header[i+1])
	}
	for _, r := range rows {
		labelW = max(labelW, Width(r.prefix+relationText(r.node.Relation)+r.node.Label))
		for i := 0; i < ncol && i < len(r.node.Columns); i++ {
			colW[i] = max(colW[i], Width(r.node.Columns[i]))
		}
	}
	width := st.width()
	// Names matter most: the right-hand columns give way first, down to 16 cells, then the
	// names down to minLabelWidth, then the columns down to 8, then the names again.
	total := func() int {
		t := labelW
		for _, c := range colW {
			t += 2 + c
		}
		return t
	}
	shrinkColumns := func(floor int) {
		for total() > width {
			widest := -1
			for i := range colW {
				if colW[i] > floor && (widest < 0 || colW[i] > colW[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				return
			}
			colW[widest] = max(floor, colW[widest]-(total()-width))
		}
	}
	shrinkColumns(16)
	if over := total() - width; over > 0 {
		labelW = max(minLabelWidth, labelW-over)
	}
	shrinkColumns(8)
	if over := total() - width; over > 0 {
		labelW = max(8, labelW-over)
	}
	var b strings.Builder
	if len(header) > 0 {
		line := pad(Truncate(header[0], labelW), labelW)
		for i := range ncol {
			line += "  " + pad(Truncate(header[i+1], colW[i]), colW[i])
		}
		b.WriteString(st.Bold(strings.TrimRight(line, " ")) + "\n")
	}
	for _, r := range rows {
		n := r.node
		rel := relationText(n.Relation)
		label := Truncate(r.prefix+rel+n.Label, labelW)
		cells := Width(label)
		// Colour is applied to the pieces that survived truncation.
		prefixPart := Truncate(r.prefix, Width(label))
		rest := strings.TrimPrefix(label, prefixPart)
		relPart := ""
		if rel != "" {
			relPart = rest
			if strings.HasPrefix(rest, rel) {
				relPart = rel
			}
			rest = strings.TrimPrefix(rest, relPart)
		}
		name := st.Bold(rest)
		if n.Faded {
			name = st.Dim(rest)
		}
		line := prefixPart + st.Dim(relPart) + name + strings.Repeat(" ", max(labelW-cells, 0))
		for i := range ncol {
			cell := ""
			if i < len(n.Columns) {
				cell = Truncate(n.Columns[i], colW[i])
			}
			padded := pad(cell, colW[i])
			if i == ncol-1 {
				padded = cell
			}
			if i == statusColumn {
				padded = st.Status(n.Status, cell) + strings.Repeat(" ", len(padded)-len(cell))
			}
			line += "  " + padded
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		for _, d := range n.Details {
			avail := width - Width(r.detailPrefix)
			for _, l := range Wrap(d, max(avail, 20)) {
				b.WriteString(r.detailPrefix + st.Dim(l) + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func relationText(r string) string {
	if r == "" {
		return ""
	}
	return r + " "
}
