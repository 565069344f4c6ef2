package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/clipperhouse/displaywidth"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// eighths are the block characters that draw a bar to an eighth of a column.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// ImportanceBars draws each parameter's importance as a ranked bar, within width columns
// (80 when width is 0 or more than 80).
func ImportanceBars(w io.Writer, doc *analysis.ImportanceDoc, width int, color bool) error {
	if width <= 0 || width > 80 {
		width = 80
	}
	fmt.Fprintf(w, "Importance of each parameter for %s in %s (fANOVA over %d trials)\n\n", doc.Metric, doc.Experiment, doc.Trials)
	nameWidth := 0
	for _, p := range doc.Parameters {
		nameWidth = max(nameWidth, displaywidth.String(p.Name))
	}
	// Two spaces of indent, the name, two spaces, the bar, a space and "100.0%".
	nameWidth = min(nameWidth, width/3)
	barWidth := max(width-2-nameWidth-2-1-6, 4)
	for i, p := range doc.Parameters {
		name := displaywidth.TruncateString(p.Name, nameWidth, "…")
		name += strings.Repeat(" ", nameWidth-displaywidth.String(name))
		bar := bar(p.Importance, barWidth)
		pad := strings.Repeat(" ", barWidth-displaywidth.String(bar))
		if color && i == 0 {
			bar = "\x1b[1;32m" + bar + "\x1b[0m"
		}
		fmt.Fprintf(w, "  %s  %s%s %5.1f%%\n", name, bar, pad, 100*p.Importance)
	}
	return nil
}

// bar is share of width columns in block characters, at least a sliver for any share above 0.
func bar(share float64, width int) string {
	eighthsLong := int(math.Round(math.Max(0, math.Min(1, share)) * float64(width) * 8))
	if eighthsLong == 0 && share > 0 {
		eighthsLong = 1
	}
	return strings.Repeat("█", eighthsLong/8) + eighths[eighthsLong%8]
}
