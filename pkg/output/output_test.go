package output

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-katib/plugins/internal/golden"
)

func TestTableIsKubectlLike(t *testing.T) {
	tb := NewTable("name", "status", "best accuracy")
	tb.Append("random-mnist", "Succeeded", "0.9123")
	tb.Append("a-much-longer-experiment-name", "Running")
	tb.Append("x", "", "", "dropped extra cell")
	var buf bytes.Buffer
	if err := tb.Render(&buf); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("line %d has trailing blanks: %q", i, line)
		}
	}
	golden.Assert(t, "output/table.golden", buf.Bytes())
}

func TestEmptyTablePrintsHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := NewTable("name", "age").Render(&buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "NAME   AGE\n" {
		t.Fatalf("got %q", got)
	}
}

func pods() []runtime.Object {
	mk := func(name string) runtime.Object {
		return &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ml", Labels: map[string]string{"app": "trainer"}}}
	}
	return []runtime.Object{mk("trial-a"), mk("trial-b")}
}

func TestPrinters(t *testing.T) {
	for _, format := range []string{"json", "yaml", "name", "jsonpath={.items[*].metadata.name}", "go-template={{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}"} {
		f := NewPrintFlags("wide")
		f.OutputFormat = &format
		if err := f.Validate(); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var buf bytes.Buffer
		if err := f.PrintObjects(&buf, pods()...); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		name := strings.SplitN(format, "=", 2)[0]
		golden.Assert(t, "output/printer-"+name+".golden", buf.Bytes())
	}
}

func TestSingleObjectIsNotAList(t *testing.T) {
	format := "jsonpath={.metadata.name}"
	f := NewPrintFlags()
	f.OutputFormat = &format
	var buf bytes.Buffer
	if err := f.PrintObjects(&buf, pods()[0]); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "trial-a" {
		t.Fatalf("got %q", buf.String())
	}
}

func TestHumanAndUnknownFormats(t *testing.T) {
	for format, human := range map[string]bool{"": true, "wide": true, "json": false} {
		f := NewPrintFlags("wide")
		f.OutputFormat = &format
		if f.IsHuman() != human {
			t.Errorf("%q: IsHuman=%v", format, f.IsHuman())
		}
	}
	bad := "xml"
	f := NewPrintFlags("wide")
	f.OutputFormat = &bad
	err := f.Validate()
	if err == nil || !strings.Contains(err.Error(), "allowed formats are wide, json") {
		t.Fatalf("want a helpful error, got %v", err)
	}
}

func TestTableFit(t *testing.T) {
	table := func() *Table {
		tb := NewTable("name", "state", "value", "message")
		tb.Append("trial-one", "Succeeded", "0.123456", "")
		tb.Append("trial-two", "Failed", "0.5", "the trainer exited with code 2")
		return tb
	}
	// Unfitted, the lines are 9+3+9+3+8+3+30 = 65 cells wide.
	steps := []Narrowing{Cut(3, 10), Drop(3), Drop(1), Cut(2, 4), Drop(2)}
	for _, tc := range []struct {
		name    string
		width   int
		steps   []Narrowing
		dropped []string
		want    string
	}{
		{"no limit", 0, steps, nil,
			"NAME        STATE       VALUE      MESSAGE\ntrial-one   Succeeded   0.123456\ntrial-two   Failed      0.5        the trainer exited with code 2\n"},
		{"fits already", 65, steps, nil,
			"NAME        STATE       VALUE      MESSAGE\ntrial-one   Succeeded   0.123456\ntrial-two   Failed      0.5        the trainer exited with code 2\n"},
		{"cut the message only as far as needed", 50, steps, nil,
			"NAME        STATE       VALUE      MESSAGE\ntrial-one   Succeeded   0.123456\ntrial-two   Failed      0.5        the trainer ex…\n"},
		{"message below its minimum: dropped", 40, steps, []string{"message"},
			"NAME        STATE       VALUE\ntrial-one   Succeeded   0.123456\ntrial-two   Failed      0.5\n"},
		{"a cut never goes under the header", 17, steps, []string{"state", "message"},
			"NAME        VALUE\ntrial-one   0.12…\ntrial-two   0.5\n"},
		{"columns no step names stay", 5, steps, []string{"state", "value", "message"},
			"NAME\ntrial-one\ntrial-two\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := table()
			dropped := tb.Fit(tc.width, tc.steps)
			var buf bytes.Buffer
			if err := tb.Render(&buf); err != nil {
				t.Fatal(err)
			}
			if strings.Join(dropped, ",") != strings.Join(tc.dropped, ",") || buf.String() != tc.want {
				t.Errorf("dropped %q, want %q; got\n%s\nwant\n%s", dropped, tc.dropped, buf.String(), tc.want)
			}
		})
	}
}
