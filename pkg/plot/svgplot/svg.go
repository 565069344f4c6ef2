// Package svgplot draws an experiment's results as SVG charts: the optimisation history, the
// intermediate values each trial reported, parallel coordinates, one slice per parameter,
// parameter importance, and several experiments' histories together.
//
// Every chart is a complete SVG document (it carries its own xmlns, size and white
// background) that can be saved as a file or placed inline in an HTML page. Styling is
// written as presentation attributes rather than CSS, so a chart looks the same in either
// place and never restyles the page around it. Every element that stands for one trial has
// the class "trial" and a data-trial attribute holding the trial's name, so that tests and
// scripts can find and count them; the root element's data-chart attribute names the chart.
//
// Output depends only on the input: no clocks, random numbers or map order, so the same
// experiment always gives the same bytes.
package svgplot

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Default size of a chart, in CSS pixels.
const (
	Width  = 720
	Height = 360
)

// Layout of the plotting area inside a chart of the default size.
const (
	marginLeft   = 72
	marginRight  = 24
	marginTop    = 56
	marginBottom = 52
	// charW estimates the width of one character of 12px text, since the charts are laid
	// out without font metrics; labels longer than their room are shortened with an
	// ellipsis.
	charW = 6.6
)

// FontFamily is the system sans-serif stack: the charts use whatever the reader's system
// shows everywhere else, and need no font files.
const FontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

// Colours. The palette is Tableau 10, whose hues stay distinct for most kinds of colour
// vision; the best trial is always the same red so it is recognisable across charts.
const (
	colText      = "#222"
	colMuted     = "#666"
	colAxis      = "#888"
	colGrid      = "#e5e5e5"
	colTrial     = "#4c78a8"
	colBestLine  = "#2ca02c"
	colBest      = "#d62728"
	colEarlyStop = "#f58518"
	colGoal      = "#9467bd"
)

var palette = []string{"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac"}

// ramp is a sequential scale from light to dark blue: darker means better (parallel
// coordinates) or later (slices), which keeps light, unimportant lines in the background.
var ramp = [][3]float64{{0xc6, 0xdb, 0xef}, {0x6b, 0xae, 0xd6}, {0x21, 0x71, 0xb5}, {0x08, 0x30, 0x6b}}

// rampColour is the ramp's colour at t in [0, 1].
func rampColour(t float64) string {
	if math.IsNaN(t) {
		t = 0
	}
	t = math.Max(0, math.Min(1, t))
	f := t * float64(len(ramp)-1)
	i := min(int(f), len(ramp)-2)
	u := f - float64(i)
	var c [3]int
	for k := range c {
		c[k] = int(math.Round(ramp[i][k] + (ramp[i+1][k]-ramp[i][k])*u))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// esc escapes text for an XML text node or a double-quoted attribute.
func esc(s string) string {
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// num writes a coordinate with one decimal, which is finer than a pixel and keeps charts with
// hundreds of trials small.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// fmtValue writes an objective or parameter value for a label or tooltip.
func fmtValue(v float64) string {
	if math.IsNaN(v) {
		return "none"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// fit shortens s to about px pixels of text at the given character width.
func fit(s string, px, perChar float64) string {
	n := int(px / perChar)
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// doc builds one chart.
type doc struct {
	b    strings.Builder
	w, h float64
}

func newDoc(chart string, w, h float64, title string) *doc {
	d := &doc{w: w, h: h}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="%s" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s" font-size="12" role="img" aria-label="%s">`,
		esc(chart), num(w), num(h), num(w), num(h), esc(FontFamily), esc(title))
	d.b.WriteString("\n")
	fmt.Fprintf(&d.b, `<title>%s</title>`+"\n", esc(title))
	fmt.Fprintf(&d.b, `<rect class="background" width="%s" height="%s" fill="#fff"/>`+"\n", num(w), num(h))
	d.text(16, 24, title, `font-size="15" font-weight="600"`, "start", colText)
	return d
}

func (d *doc) raw(s string) { d.b.WriteString(s) }

func (d *doc) printf(format string, a ...any) { fmt.Fprintf(&d.b, format, a...) }

// text writes a label; extra is inserted verbatim as further attributes.
func (d *doc) text(x, y float64, s, extra, anchor, fill string) {
	if anchor == "" {
		anchor = "start"
	}
	if extra != "" {
		extra = " " + extra
	}
	fmt.Fprintf(&d.b, `<text x="%s" y="%s" text-anchor="%s" fill="%s"%s>%s</text>`+"\n", num(x), num(y), anchor, fill, extra, esc(s))
}

func (d *doc) line(x1, y1, x2, y2 float64, stroke, extra string) {
	if extra != "" {
		extra = " " + extra
	}
	fmt.Fprintf(&d.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"%s/>`+"\n", num(x1), num(y1), num(x2), num(y2), stroke, extra)
}

// message writes a note in the middle of the plotting area, for charts with nothing to plot.
func (d *doc) message(s string) {
	d.text(d.w/2, d.h/2, s, `font-size="14"`, "middle", colMuted)
}

func (d *doc) String() string {
	d.b.WriteString("</svg>\n")
	return d.b.String()
}

// plotArea is the rectangle data is drawn in.
type plotArea struct{ x0, y0, x1, y1 float64 }

func defaultArea(w, h float64) plotArea {
	return plotArea{x0: marginLeft, y0: marginTop, x1: w - marginRight, y1: h - marginBottom}
}

// xAxis draws a horizontal axis along the bottom of the area, with its ticks, tick labels,
// vertical grid lines and title.
func (d *doc) xAxis(a plotArea, s *scale, title string) {
	d.raw(`<g class="axis x-axis">` + "\n")
	room := (a.x1 - a.x0) / float64(max(len(s.ticks), 1))
	if s.kind == band {
		room = s.bandWidth()
	}
	for _, t := range s.ticks {
		x := s.at(t.at)
		if math.IsNaN(x) {
			continue
		}
		d.line(x, a.y0, x, a.y1, colGrid, "")
		d.line(x, a.y1, x, a.y1+5, colAxis, "")
		d.text(x, a.y1+18, fit(t.label, room-4, charW*0.9), `font-size="11"`, "middle", colMuted)
	}
	d.line(a.x0, a.y1, a.x1, a.y1, colAxis, "")
	d.text((a.x0+a.x1)/2, a.y1+40, fit(title, a.x1-a.x0, charW), "", "middle", colText)
	d.raw("</g>\n")
}

// yAxis draws a vertical axis along the left of the area, with horizontal grid lines and a
// rotated title.
func (d *doc) yAxis(a plotArea, s *scale, title string) {
	d.raw(`<g class="axis y-axis">` + "\n")
	for _, t := range s.ticks {
		y := s.at(t.at)
		if math.IsNaN(y) {
			continue
		}
		d.line(a.x0, y, a.x1, y, colGrid, "")
		d.line(a.x0-5, y, a.x0, y, colAxis, "")
		d.text(a.x0-8, y+4, fit(t.label, marginLeft-12, charW*0.9), `font-size="11"`, "end", colMuted)
	}
	d.line(a.x0, a.y0, a.x0, a.y1, colAxis, "")
	cy := (a.y0 + a.y1) / 2
	d.text(16, cy, fit(title, a.y1-a.y0, charW), fmt.Sprintf(`transform="rotate(-90 16 %s)" dominant-baseline="middle"`, num(cy)), "middle", colText)
	d.raw("</g>\n")
}

// legendItem is one entry of a chart's legend: a small swatch and its label.
type legendItem struct {
	label string
	// swatch is the SVG of the symbol, drawn with its centre at (0, 0).
	swatch string
}

func dotSwatch(fill, stroke string, r float64) string {
	return fmt.Sprintf(`<circle r="%s" fill="%s" stroke="%s" stroke-width="1.5"/>`, num(r), fill, stroke)
}

func lineSwatch(stroke string, width float64, dash string) string {
	if dash != "" {
		dash = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	return fmt.Sprintf(`<line x1="-9" y1="0" x2="9" y2="0" stroke="%s" stroke-width="%s"%s/>`, stroke, num(width), dash)
}

func crossSwatch(stroke string) string {
	return fmt.Sprintf(`<path d="%s" stroke="%s" stroke-width="2" fill="none"/>`, crossPath(0, 0, 4), stroke)
}

// legendRowH is the height of one row of a legend.
const legendRowH = 16

// legendLayout places the items in rows under the title, from x0 and no further right than
// right; an item that no longer fits starts a new row. It returns each item's left edge and
// row, and how many rows there are.
func legendLayout(items []legendItem, x0, right float64) (xs []float64, rows []int, n int) {
	x, row := x0, 0
	for _, it := range items {
		wd := legendItemWidth(it)
		if x > x0 && x+wd > right {
			x, row = x0, row+1
		}
		xs, rows = append(xs, x), append(rows, row)
		x += wd
	}
	if len(items) == 0 {
		return nil, nil, 0
	}
	return xs, rows, row + 1
}

func legendItemWidth(it legendItem) float64 {
	return 24 + float64(utf8.RuneCountInString(fit(it.label, legendLabelW, charW)))*charW + 16
}

const legendLabelW = 220

// legendExtra is how far a legend of these items pushes the plot down: nothing for one row,
// a row's height for each further row.
func legendExtra(items []legendItem, x0, right float64) float64 {
	_, _, n := legendLayout(items, x0, right)
	return float64(max(n-1, 0)) * legendRowH
}

// legend writes the items with the first row's baseline at y.
func (d *doc) legend(x0, y, right float64, items []legendItem) {
	if len(items) == 0 {
		return
	}
	xs, rows, _ := legendLayout(items, x0, right)
	d.raw(`<g class="legend">` + "\n")
	for i, it := range items {
		x, yy := xs[i], y+float64(rows[i])*legendRowH
		d.printf(`<g transform="translate(%s %s)">%s</g>`+"\n", num(x+9), num(yy-4), it.swatch)
		d.text(x+24, yy, fit(it.label, legendLabelW, charW), "", "start", colText)
	}
	d.raw("</g>\n")
}

// crossPath is an × centred on (x, y): the mark of a trial that was stopped early.
func crossPath(x, y, r float64) string {
	return fmt.Sprintf("M%s %sL%s %sM%s %sL%s %s", num(x-r), num(y-r), num(x+r), num(y+r), num(x-r), num(y+r), num(x+r), num(y-r))
}

// colourBarWidth is how much of a row colourBar takes.
func colourBarWidth(title, loLabel, hiLabel string) float64 {
	width := func(s string, cw float64) float64 { return float64(utf8.RuneCountInString(s)) * cw }
	return width(hiLabel, charW*0.9) + 4 + 12*8 + 4 + width(loLabel, charW*0.9) + 8 + width(title, charW)
}

// colourBar draws a small horizontal ramp with labels at both ends, as the legend of a
// colour scale, ending at x = right. Drawn as separate rectangles rather than a gradient,
// because a gradient needs an id and the ids of charts placed on one page would clash.
func (d *doc) colourBar(right, y float64, title, loLabel, hiLabel string) {
	const steps, wd, ht = 12, 8.0, 8.0
	width := func(s string, cw float64) float64 { return float64(utf8.RuneCountInString(s)) * cw }
	x := right - colourBarWidth(title, loLabel, hiLabel)
	d.raw(`<g class="colour-scale">` + "\n")
	d.text(x, y, title, "", "start", colText)
	x += width(title, charW) + 8
	d.text(x, y, loLabel, `font-size="11"`, "start", colMuted)
	x += width(loLabel, charW*0.9) + 4
	for i := range steps {
		d.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(x+float64(i)*wd), num(y-ht), num(wd+0.5), num(ht), rampColour(float64(i)/(steps-1)))
	}
	d.raw("\n")
	d.text(x+steps*wd+4, y, hiLabel, `font-size="11"`, "start", colMuted)
	d.raw("</g>\n")
}
