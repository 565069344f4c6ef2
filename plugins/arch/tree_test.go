package arch

import (
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// TestTreeUsageErrors: a malformed object or output format is refused before any cluster is
// contacted, with exit code 2.
func TestTreeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tree"}, "needs one object"},
		{[]string{"tree", "deploy"}, "is not KIND/NAME"},
		{[]string{"tree", "deploy/web", "extra"}, "not both"},
		{[]string{"tree", "a", "b", "c"}, "needs one object"},
		{[]string{"tree", "deploy/web", "-o", "xml"}, `unknown output format "xml"`},
	} {
		_, _, err := run(t, tc.args...)
		if exitcode.Of(err) != exitcode.Usage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want exit 2 saying %q", tc.args, exitcode.Of(err), err, tc.want)
		}
	}
}
