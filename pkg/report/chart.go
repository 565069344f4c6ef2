package report

import (
	"io"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/plot/textplot"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// liveChartHeight keeps the live view's chart small enough that the status lines and the
// running trials still fit on a 24-line terminal below it.
const liveChartHeight = 6

// HistoryChart draws the optimisation history under a table on a terminal, once at least two
// trials have an objective (one point says nothing about progress). width is the terminal's
// width (0 when unknown).
func HistoryChart(w io.Writer, st *store.State, width int, color bool) error {
	e := analysis.FromState(st)
	if len(e.History()) < 2 {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return textplot.History(w, e, ChartOptions(width, 0, color))
}

// ChartOptions sizes a chart for a terminal width columns wide (0 when unknown): at most
// textplot.MaxWidth, at least textplot.MinWidth.
func ChartOptions(width, height int, color bool) textplot.Options {
	if width <= 0 || width > textplot.MaxWidth {
		width = textplot.MaxWidth
	}
	return textplot.Options{Width: max(width, textplot.MinWidth), Height: height, Color: color}
}
