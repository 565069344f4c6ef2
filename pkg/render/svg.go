package render

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// SVG layout, in pixels. Text width is estimated from an average glyph width so that the
// picture needs no font metrics at run time; labels are truncated to their box.
const (
	svgWidth      = 1000
	svgMargin     = 20
	gutterX       = 10
	groupPad      = 16
	groupTitle    = 46
	nodeWidth     = 218
	nodeGap       = 18
	nodesPerRow   = 4
	lineHeight    = 16
	nodeHeadH     = 26
	rowGap        = 46
	groupGap      = 40
	charWidth     = 6.4
	titleCharW    = 7.2
	labelCharW    = 5.6
	labelMaxWidth = 200
	// subtitleMaxLines keeps a long subtitle from pushing the picture down; what does not
	// fit ends in an ellipsis.
	subtitleMaxLines = 2
	svgFontStack     = "DejaVu Sans, Helvetica, Arial, sans-serif"
)

type rect struct{ x, y, w, h float64 }

func (r rect) cx() float64 { return r.x + r.w/2 }

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

func fitText(s string, px, perChar float64) string {
	return Truncate(s, int(px/perChar))
}

func subtitleLines(s string) []string {
	if s == "" {
		return nil
	}
	perLine := int((svgWidth - 2*svgMargin) / charWidth)
	lines := Wrap(s, perLine)
	if len(lines) > subtitleMaxLines {
		rest := strings.Join(lines[subtitleMaxLines-1:], " ")
		lines = append(lines[:subtitleMaxLines-1], Truncate(rest, perLine))
	}
	return lines
}

// SVG writes the graph as a standalone SVG picture: groups stacked top to bottom, parts in
// rows inside them, links drawn as arrows with their labels.
func SVG(w io.Writer, g *Graph) error {
	var b strings.Builder
	pos := map[string]rect{}
	row := map[string]int{}
	type frame struct {
		r     rect
		label string
	}
	var frames []frame
	y := float64(svgMargin)
	if g.Title != "" {
		y += 28
	}
	subtitle := subtitleLines(g.Subtitle)
	if len(subtitle) > 0 {
		y += 20 + float64(lineHeight*(len(subtitle)-1))
	}
	y += 10
	rowIndex := 0
	for _, grp := range g.Groups {
		top := y
		y += groupTitle
		nodes := grp.Nodes
		if len(nodes) == 0 {
			nodes = []Node{{ID: grp.ID + "/none", Label: "(none visible)"}}
		}
		for start := 0; start < len(nodes); start += nodesPerRow {
			end := min(start+nodesPerRow, len(nodes))
			h := 0.0
			for _, n := range nodes[start:end] {
				h = math.Max(h, float64(nodeHeadH+lineHeight*len(n.Lines)+8))
			}
			count := end - start
			rowW := float64(count*nodeWidth + (count-1)*nodeGap)
			x := (svgWidth - rowW) / 2
			for _, n := range nodes[start:end] {
				pos[n.ID] = rect{x, y, nodeWidth, h}
				row[n.ID] = rowIndex
				x += nodeWidth + nodeGap
			}
			y += h + rowGap
			rowIndex++
		}
		y -= rowGap
		y += groupPad
		frames = append(frames, frame{rect{svgMargin, top, svgWidth - 2*svgMargin, y - top}, grp.Label})
		y += groupGap
	}
	y -= groupGap
	type block struct {
		title, colour string
		items         []string
	}
	var blocks []block
	if len(g.Warnings) > 0 {
		blocks = append(blocks, block{"Warnings", "#c5221f", g.Warnings})
	}
	if len(g.Notes) > 0 {
		blocks = append(blocks, block{"Notes", "#b06000", g.Notes})
	}
	notesTop := y + 20
	perLine := int((svgWidth - 2*svgMargin) / charWidth)
	for i, bl := range blocks {
		if i == 0 {
			y = notesTop
		} else {
			y += 10
		}
		y += 18
		for _, n := range bl.items {
			y += float64(lineHeight * len(Wrap(n, perLine)))
		}
	}
	height := y + svgMargin

	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="%s">`+"\n",
		svgWidth, height, svgWidth, height, svgFontStack)
	if g.Title != "" {
		fmt.Fprintf(&b, "<title>%s</title>\n", xmlEscape(g.Title))
	}
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%.0f" fill="#ffffff"/>`+"\n", svgWidth, height)
	ty := float64(svgMargin)
	if g.Title != "" {
		ty += 18
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="18" font-weight="bold" fill="#202124">%s</text>`+"\n", svgMargin, ty, xmlEscape(fitText(g.Title, svgWidth-2*svgMargin, 10)))
	}
	for i, l := range subtitle {
		if i == 0 {
			ty += 22
		} else {
			ty += lineHeight
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="12" fill="#5f6368">%s</text>`+"\n", svgMargin, ty, xmlEscape(l))
	}
	for _, f := range frames {
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" rx="10" fill="#f8f9fa" stroke="#dadce0"/>`+"\n", f.r.x, f.r.y, f.r.w, f.r.h)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="14" font-weight="bold" fill="#1a73e8">%s</text>`+"\n", f.r.x+14, f.r.y+21, xmlEscape(fitText(f.label, f.r.w-28, titleCharW)))
	}
	// Links go under the parts so that boxes stay readable where lines cross a row; the
	// labels are drawn last, over everything.
	incoming := map[string][]int{}
	for i, e := range g.Edges {
		if _, ok := pos[e.From]; !ok {
			continue
		}
		if _, ok := pos[e.To]; !ok {
			continue
		}
		if d := row[e.From] - row[e.To]; d == 1 || d == -1 {
			incoming[e.To] = append(incoming[e.To], i)
		}
	}
	for _, list := range incoming {
		sort.Slice(list, func(a, c int) bool { return pos[g.Edges[list[a]].From].cx() < pos[g.Edges[list[c]].From].cx() })
	}
	type label struct {
		x, y float64
		text string
	}
	var labels []label
	var paths strings.Builder
	gutterUsed := 0
	for i, e := range g.Edges {
		from, ok1 := pos[e.From]
		to, ok2 := pos[e.To]
		if !ok1 || !ok2 {
			continue
		}
		dash := ""
		if e.Dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		var d string
		var lx, ly float64
		switch {
		case row[e.From] == row[e.To]:
			if math.Abs(from.cx()-to.cx()) <= nodeWidth+nodeGap+1 {
				// Neighbours: a straight arrow across the gap, its label above the row.
				x1, x2 := from.x+from.w, to.x
				if to.cx() < from.cx() {
					x1, x2 = from.x, to.x+to.w
				}
				yy := from.y + 22
				d = fmt.Sprintf("M%.0f,%.0f L%.0f,%.0f", x1, yy, x2, yy)
				lx, ly = (x1+x2)/2, math.Min(from.y, to.y)-6
			} else {
				// Farther apart in one row: arc under the row.
				y1 := from.y + from.h
				y2 := to.y + to.h
				dip := math.Max(y1, y2) + 26
				d = fmt.Sprintf("M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f", from.cx()+20, y1, from.cx()+20, dip, to.cx()-20, dip, to.cx()-20, y2)
				lx, ly = (from.cx()+to.cx())/2, dip-2
			}
		case abs(row[e.From]-row[e.To]) > 1:
			// Across several rows: run down the left gutter so the line never crosses a box.
			k := float64(gutterUsed)
			gutterUsed++
			gx := gutterX + k*5
			if row[e.From] < row[e.To] {
				sx, sy := from.cx()-30-k*6, from.y+from.h
				ey := to.y - 8 - k*4
				d = fmt.Sprintf("M%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f", sx, sy, sx, sy+14+k*4, gx, sy+14+k*4, gx, ey, to.cx(), ey, to.cx(), to.y)
				lx, ly = (gx+to.cx())/2+30, ey-4
			} else {
				sx, sy := from.cx()-30-k*6, from.y
				ey := to.y + to.h + 14 + k*4
				d = fmt.Sprintf("M%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f L%.0f,%.0f", sx, sy, sx, sy-7-k*3, gx, sy-7-k*3, gx, ey, to.cx()-30-k*6, ey, to.cx()-30-k*6, to.y+to.h)
				lx, ly = (gx+to.cx())/2, ey+12
			}
		default:
			list := incoming[e.To]
			idx := 0
			for k, ei := range list {
				if ei == i {
					idx = k
				}
			}
			span := to.w * 0.7
			ex := to.cx()
			if len(list) > 1 {
				ex = to.x + (to.w-span)/2 + span*float64(idx)/float64(len(list)-1)
			}
			if row[e.From] > row[e.To] {
				sx, sy := from.cx(), from.y
				ey := to.y + to.h
				d = fmt.Sprintf("M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f", sx, sy, sx, sy-40, ex, ey+40, ex, ey)
				lx, ly = sx, sy-8
			} else {
				sx, sy := from.cx(), from.y+from.h
				ey := to.y
				d = fmt.Sprintf("M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f", sx, sy, sx, sy+40, ex, ey-40, ex, ey)
				lx, ly = sx, sy+14
			}
		}
		fmt.Fprintf(&paths, `<path d="%s" fill="none" stroke="#80868b" stroke-width="1.4"%s marker-end="url(#arrow)"/>`+"\n", d, dash)
		if e.Label != "" {
			labels = append(labels, label{lx, ly, e.Label})
		}
	}
	b.WriteString(paths.String())
	for _, grp := range g.Groups {
		nodes := grp.Nodes
		if len(nodes) == 0 {
			nodes = []Node{{ID: grp.ID + "/none", Label: "(none visible)"}}
		}
		for _, n := range nodes {
			r := pos[n.ID]
			fmt.Fprintf(&b, `<g><rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" rx="6" fill="%s" stroke="%s" stroke-width="1.5"/>`,
				r.x, r.y, r.w, r.h, statusFill[n.Status], statusStroke[n.Status])
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="13" font-weight="bold" fill="#202124">%s</text>`,
				r.x+10, r.y+18, xmlEscape(fitText(n.Label, r.w-20, 7.6)))
			for i, l := range n.Lines {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" fill="#3c4043">%s</text>`,
					r.x+10, r.y+float64(nodeHeadH)+12+float64(i*lineHeight), xmlEscape(fitText(l, r.w-20, charWidth)))
			}
			b.WriteString("</g>\n")
		}
	}
	// Each label sits on a white plate so that a line passing under it never strikes it
	// through.
	for _, l := range labels {
		text := fitText(l.text, labelMaxWidth, labelCharW)
		// Glyphs average a little under labelCharW, which is kept generous for truncation.
		w := float64(len([]rune(text)))*labelCharW*0.9 + 8
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="13" rx="3" fill="#ffffff" fill-opacity="0.92"/>`+"\n", l.x-w/2, l.y-10, w)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="middle" fill="#3c4043">%s</text>`+"\n", l.x, l.y, xmlEscape(text))
	}
	ny := notesTop - 4
	for i, bl := range blocks {
		if i > 0 {
			ny += 10
		}
		ny += 18
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="13" font-weight="bold" fill="%s">%s</text>`+"\n", svgMargin, ny, bl.colour, bl.title)
		for _, n := range bl.items {
			for _, l := range Wrap(n, perLine) {
				ny += lineHeight
				fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="11" fill="#3c4043">%s</text>`+"\n", svgMargin, ny, xmlEscape(l))
			}
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
