package katib_test

import (
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// Bad flags of the analysis commands exit 2 with what to do, before any cluster is asked.
func TestAnalysisUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"importance"}, "needs 1 argument"},
		{[]string{"importance", "a", "-o", "table"}, "unable to match a printer"},
		{[]string{"plot"}, "name the experiment to draw"},
		{[]string{"plot", "history"}, "name the experiment to draw before the chart"},
		{[]string{"plot", "a", "b", "slice"}, "only be drawn together as a history"},
		{[]string{"plot", "a", "a"}, `experiment "a" is named twice`},
		{[]string{"report"}, "name the experiment to report on"},
		{[]string{"report", "a", "--format", "png"}, `unknown --format "png"`},
		{[]string{"report", "a", "--format", "svg"}, "choose it with --plot"},
		{[]string{"report", "a", "--plot", "history"}, "add --format svg"},
		{[]string{"report", "a", "--format", "svg", "--plot", "pie"}, `unknown --plot "pie"`},
		{[]string{"report", "a", "b", "--format", "svg", "--plot", "slice"}, "only be drawn together as a history"},
		{[]string{"report", "a", "--format", "svg", "--plot", "history", "--param", "lr"}, "add --plot slice"},
		{[]string{"export", "a"}, "--format csv or optuna-journal"},
		{[]string{"export", "a", "--format", "parquet"}, `unknown --format "parquet"`},
		{[]string{"export"}, "needs 1 argument"},
	} {
		got, code := runValidate(t, "", tc.args...)
		if code != exitcode.Usage || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, got)
		}
	}
}
