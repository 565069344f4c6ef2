package textplot

import "strings"

// color is one of the few ANSI colours the charts use; plain is the terminal's own.
type color uint8

const (
	plain color = iota
	dim
	green
	yellow
	red
	cyan
	magenta
	blue
	highlight
)

var sgr = [...]string{plain: "", dim: "90", green: "32", yellow: "33", red: "31", cyan: "36", magenta: "35", blue: "34", highlight: "1;33"}

// painter writes text with colour changes, emitting escapes only when colour is on and
// only where the colour changes, so plain output is byte-for-byte free of them.
type painter struct {
	b   strings.Builder
	on  bool
	cur color
}

func (p *painter) put(s string, c color) {
	if p.on && c != p.cur {
		if p.cur != plain {
			p.b.WriteString("\x1b[0m")
		}
		if c != plain {
			p.b.WriteString("\x1b[" + sgr[c] + "m")
		}
		p.cur = c
	}
	p.b.WriteString(s)
}

func (p *painter) String() string {
	if p.cur != plain {
		p.b.WriteString("\x1b[0m")
		p.cur = plain
	}
	return p.b.String()
}

// paint is one coloured piece of text.
func paint(s string, c color, on bool) string {
	p := painter{on: on}
	p.put(s, c)
	return p.String()
}

// A cell holds braille dots and, above them, an optional glyph. Each carries a priority
// so that what the reader must find (the best trial, a stopped trial's end) is not painted
// over by whatever happens to be drawn later.
type cell struct {
	dots      uint8
	dotColor  color
	dotPrio   int8
	mark      rune
	markColor color
	markPrio  int8
}

// canvas is a grid of character cells, each 2 dots wide and 4 dots high; pixel (0, 0) is
// the top-left dot.
type canvas struct {
	w, h  int
	cells []cell
}

func newCanvas(w, h int) *canvas {
	return &canvas{w: w, h: h, cells: make([]cell, w*h)}
}

func (c *canvas) at(cx, cy int) *cell {
	if cx < 0 || cy < 0 || cx >= c.w || cy >= c.h {
		return nil
	}
	return &c.cells[cy*c.w+cx]
}

// brailleBit is the bit of U+2800's pattern for a dot at (x%2, y%4) within a cell.
var brailleBit = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

func (c *canvas) dot(x, y int, col color, prio int8) {
	if x < 0 || y < 0 {
		return // x/2 would round a pixel left of the canvas into its first column
	}
	cl := c.at(x/2, y/4)
	if cl == nil {
		return
	}
	cl.dots |= brailleBit[x%2][y%4]
	if prio >= cl.dotPrio {
		cl.dotColor, cl.dotPrio = col, prio
	}
}

// line draws dots from (x0, y0) to (x1, y1) inclusive. A dashed line leaves out every
// other pair of dots, which still reads as one line but differs from a solid one without
// colour.
func (c *canvas) line(x0, y0, x1, y1 int, col color, prio int8, dashed bool) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for i := 0; ; i++ {
		if !dashed || i%4 < 2 {
			c.dot(x0, y0, col, prio)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * err; e2 >= dy {
			err += dy
			x0 += sx
		} else {
			err += dx
			y0 += sy
		}
	}
}

// mark puts a glyph in the cell holding pixel (x, y), unless a more important glyph is
// already there.
func (c *canvas) mark(x, y int, r rune, col color, prio int8) {
	if x < 0 || y < 0 {
		return
	}
	c.markCell(x/2, y/4, r, col, prio)
}

func (c *canvas) markCell(cx, cy int, r rune, col color, prio int8) {
	cl := c.at(cx, cy)
	if cl == nil || (cl.mark != 0 && prio < cl.markPrio) {
		return
	}
	cl.mark, cl.markColor, cl.markPrio = r, col, prio
}

// row renders one row of cells, without trailing blanks.
func (c *canvas) row(cy int, on bool) string {
	cells := c.cells[cy*c.w : (cy+1)*c.w]
	end := len(cells)
	for end > 0 && cells[end-1].mark == 0 && cells[end-1].dots == 0 {
		end--
	}
	p := painter{on: on}
	for _, cl := range cells[:end] {
		switch {
		case cl.mark != 0:
			p.put(string(cl.mark), cl.markColor)
		case cl.dots != 0:
			p.put(string(rune(0x2800+int(cl.dots))), cl.dotColor)
		default:
			p.put(" ", plain)
		}
	}
	return p.String()
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// xtick is a labelled column of the plot area.
type xtick struct {
	col   int
	label string
}

// plot is a canvas framed by a y axis with labelled rows on its left and an x axis with
// labelled ticks below: the layout every x-y chart here shares.
type plot struct {
	o      Options
	lw     int // width of the y labels
	ylabel []string
	x, y   axis
	c      *canvas
}

// yTickCount is how many y labels a plot of h rows gets: a few, never crowding rows.
func yTickCount(h int) int { return min(max((h+2)/4+1, 2), 5) }

// xTickCount is how many x labels fit a plot of pw columns without crowding.
func xTickCount(pw int) int { return min(max(pw/10, 2), 8) }

// newPlot lays out a plot of h rows whose y axis runs over [ylo, yhi] with the given
// ticks; the plot area takes whatever width the labels leave.
func newPlot(o Options, h int, ylo, yhi float64, yt []tick) *plot {
	lw := 1
	for _, t := range yt {
		lw = max(lw, dw.String(t.label))
	}
	pw := o.Width - lw - 2
	p := &plot{o: o, lw: lw, ylabel: make([]string, h), y: axis{ylo, yhi, 4 * h}, c: newCanvas(pw, h)}
	for _, t := range yt {
		if r := p.py(t.v) / 4; p.ylabel[r] == "" {
			p.ylabel[r] = t.label
		}
	}
	p.setX(0, 1)
	return p
}

func (p *plot) setX(lo, hi float64) { p.x = axis{lo, hi, 2 * p.c.w} }

// px and py are the pixel of a value on each axis; y grows downwards on the canvas.
func (p *plot) px(v float64) int { return p.x.px(v) }
func (p *plot) py(v float64) int { return p.y.n - 1 - p.y.px(v) }

// xticks places labelled values of the x axis on their columns.
func (p *plot) xticks(ts []tick) []xtick {
	out := make([]xtick, len(ts))
	for i, t := range ts {
		out[i] = xtick{col: p.px(t.v) / 2, label: t.label}
	}
	return out
}

// write renders the framed plot, with xname (what the x axis counts) at the right end of
// the tick labels.
func (p *plot) write(b *strings.Builder, ts []xtick, xname string) {
	for r := range p.c.h {
		axisGlyph := "│"
		if p.ylabel[r] != "" {
			axisGlyph = "┤"
		}
		b.WriteString(strings.Repeat(" ", p.lw-dw.String(p.ylabel[r])))
		b.WriteString(p.ylabel[r])
		b.WriteString(" " + axisGlyph)
		b.WriteString(p.c.row(r, p.o.Color))
		b.WriteByte('\n')
	}
	xAxis(b, p.o.Width, p.lw+1, p.c.w, ts, xname)
}

// xAxis writes an x axis whose corner is at column corner, plot columns following it, and
// its tick labels centred under their ticks (a label that would overlap the previous one
// is left out).
func xAxis(b *strings.Builder, width, corner, pw int, ts []xtick, xname string) {
	isTick := make([]bool, pw)
	for _, t := range ts {
		if t.col >= 0 && t.col < pw {
			isTick[t.col] = true
		}
	}
	b.WriteString(strings.Repeat(" ", corner) + "└")
	for _, t := range isTick {
		if t {
			b.WriteString("┬")
		} else {
			b.WriteString("─")
		}
	}
	b.WriteByte('\n')

	var labels strings.Builder
	cur := 0 // columns written so far
	for _, t := range ts {
		l := fit(t.label, width)
		lw := dw.String(l)
		start := min(max(corner+1+t.col-lw/2, 0), width-lw)
		if cur > 0 && start <= cur {
			continue
		}
		labels.WriteString(strings.Repeat(" ", start-cur))
		labels.WriteString(l)
		cur = start + lw
	}
	if xname != "" {
		nw := dw.String(xname)
		if cur > 0 && cur+2+nw > width {
			b.WriteString(labels.String())
			b.WriteByte('\n')
			labels.Reset()
			cur = 0
		}
		labels.WriteString(strings.Repeat(" ", max(width-nw-cur, 0)))
		labels.WriteString(fit(xname, width))
	}
	b.WriteString(labels.String())
	b.WriteByte('\n')
}
