// Package output holds kubectl-like tables, which both plugins print, and the kubectl
// printers behind kubectl-katib's -o.
package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/clipperhouse/displaywidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table collects rows and renders them the way kubectl does: no borders, upper-case headers
// aligned left, three spaces between columns and no trailing blanks.
type Table struct {
	headers []string
	rows    [][]string
}

// NewTable starts a table with the given column headers.
func NewTable(headers ...string) *Table {
	return &Table{headers: headers}
}

// Append adds one row; missing cells are left empty, extra cells are dropped.
func (t *Table) Append(cells ...string) {
	row := make([]string, len(t.headers))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// columnGap is the blank space Render leaves after every column but the last.
const columnGap = 3

// Narrowing is one step a table takes to fit a width: cutting a column's cells to at most
// Min cells (an ellipsis marks each cut) or, with Min 0, leaving the column out.
type Narrowing struct {
	Column int
	Min    int
}

// Cut narrows a column to no fewer than min cells, or its header's width if that is more.
func Cut(column, min int) Narrowing { return Narrowing{Column: column, Min: max(min, 1)} }

// Drop leaves a column out.
func Drop(column int) Narrowing { return Narrowing{Column: column} }

// Fit makes the table at most width cells wide by taking the steps in order, each only as
// far as the table is still too wide, and returns the headers of the columns it left out.
// Columns no step names are kept whole, so a table of only those may stay wider than width;
// width 0 or less means no limit. Cutting rather than wrapping keeps one trial per line.
func (t *Table) Fit(width int, steps []Narrowing) []string {
	if width <= 0 {
		return nil
	}
	dropped := map[int]bool{}
	for _, step := range steps {
		over := t.width(dropped) - width
		if over <= 0 {
			break
		}
		c := step.Column
		if c < 0 || c >= len(t.headers) || dropped[c] {
			continue
		}
		if step.Min == 0 {
			dropped[c] = true
			continue
		}
		target := max(t.columnWidth(c)-over, step.Min, displaywidth.String(t.headers[c]))
		for _, row := range t.rows {
			row[c] = displaywidth.TruncateString(row[c], target, "…")
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	var gone []string
	keep := func(cells []string) []string {
		var out []string
		for i, cell := range cells {
			if !dropped[i] {
				out = append(out, cell)
			}
		}
		return out
	}
	for i, h := range t.headers {
		if dropped[i] {
			gone = append(gone, h)
		}
	}
	t.headers = keep(t.headers)
	for i, row := range t.rows {
		t.rows[i] = keep(row)
	}
	return gone
}

// width is how wide Render draws the table without the dropped columns: every column as
// wide as its widest cell, the gaps between them, no trailing blanks.
func (t *Table) width(dropped map[int]bool) int {
	total, n := 0, 0
	for c := range t.headers {
		if !dropped[c] {
			total += t.columnWidth(c)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return total + columnGap*(n-1)
}

func (t *Table) columnWidth(c int) int {
	w := displaywidth.String(t.headers[c])
	for _, row := range t.rows {
		w = max(w, displaywidth.String(row[c]))
	}
	return w
}

// Len is the number of rows appended so far.
func (t *Table) Len() int { return len(t.rows) }

// Render writes the table to w. An empty table still prints its header line, as kubectl
// does when a list is empty but the caller asked for a table.
func (t *Table) Render(w io.Writer) error {
	var buf bytes.Buffer
	none := tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off}
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: none,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off},
			},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: strings.Repeat(" ", columnGap), Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	headers := make([]string, len(t.headers))
	for i, h := range t.headers {
		headers[i] = strings.ToUpper(h)
	}
	table.Header(headers)
	if err := table.Bulk(t.rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if _, err := io.WriteString(w, strings.TrimRight(line, " ")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
