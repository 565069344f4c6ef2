package katib_test

import (
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/plugins/katib"
)

func TestCompareValidate(t *testing.T) {
	for _, tc := range []struct {
		names  []string
		output string
		code   int
		want   string
	}{
		{nil, "", exitcode.Usage, "name the experiment to compare"},
		{[]string{"a", "b", "a"}, "", exitcode.Usage, `experiment "a" is named twice`},
		{[]string{"a"}, "table", exitcode.Usage, `unknown output format "table": allowed formats are wide, json, yaml, csv`},
		{[]string{"a"}, "jsonpath={.kind}", exitcode.Usage, "unknown output format"},
		{[]string{"a"}, "", 0, ""},
		{[]string{"a", "b"}, "wide", 0, ""},
		{[]string{"a", "b"}, "json", 0, ""},
		{[]string{"a", "b"}, "yaml", 0, ""},
		{[]string{"a"}, "csv", 0, ""},
	} {
		o := &katib.CompareOptions{Output: tc.output}
		if err := o.Complete(tc.names); err != nil {
			t.Fatal(err)
		}
		err := o.Validate()
		if exitcode.Of(err) != tc.code || (tc.want != "" && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("compare %v -o %q: %v (exit %d), want exit %d and %q", tc.names, tc.output, err, exitcode.Of(err), tc.code, tc.want)
		}
	}
}

// The command line reaches Validate: bad input exits 2 before any cluster is asked.
func TestCompareUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"compare"},
		{"compare", "a", "-o", "name"},
		{"get", "experiments", "a", "-A"},
		{"get", "trials", "a", "--all-namespaces"},
	} {
		got, code := runValidate(t, "", args...)
		if code != exitcode.Usage {
			t.Errorf("%v: exit %d, want 2:\n%s", args, code, got)
		}
	}
}
