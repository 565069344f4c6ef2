package katib_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/plugins/katib"
)

// runValidate runs `kubectl katib ARGS` from the repository root and renders what a user
// sees: stdout, stderr (with the error line cmdutil.Execute prints) and the exit code.
func runValidate(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	t.Chdir(golden.Root())
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	cmd := katib.NewCmdKatib(streams)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err != nil {
		fmt.Fprintf(errOut, "error: %v\n", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "$ kubectl katib %s\n--- stdout\n%s--- stderr\n%s--- exit code %d\n", strings.Join(args, " "), out, errOut, exitcode.Of(err))
	return b.String(), exitcode.Of(err)
}

func TestValidateGolden(t *testing.T) {
	cases := []struct {
		golden string
		code   int
		args   []string
	}{
		{"validate/valid.golden", 0, []string{"validate", "-f", "testdata/experiments/valid.yaml"}},
		{"validate/invalid-many.golden", exitcode.Usage, []string{"validate", "-f", "testdata/experiments/invalid-many.yaml"}},
		{"validate/unknown-fields.golden", exitcode.Usage, []string{"validate", "-f", "testdata/experiments/unknown-fields.yaml"}},
		{"validate/several-files.golden", exitcode.Usage, []string{"validate", "-f", "testdata/experiments/valid.yaml", "-f", "testdata/experiments/pod.yaml", "-f", "testdata/experiments/invalid-many.yaml"}},
		{"validate/valid-yaml.golden", 0, []string{"validate", "-f", "testdata/experiments/pod.yaml", "-o", "yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			got, code := runValidate(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			golden.Assert(t, tc.golden, []byte(got))
		})
	}
}

func TestValidateStdinAndDirectory(t *testing.T) {
	data, err := os.ReadFile(golden.Path("experiments/valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, code := runValidate(t, string(data), "validate", "-f", "-")
	if code != 0 || !strings.Contains(got, `experiment "mnist-random" is valid (algorithm random, 6 trials, 2 in parallel)`) {
		t.Errorf("stdin: %s", got)
	}
	got, code = runValidate(t, "", "validate", "-f", filepath.Join("testdata", "katib-examples", "hp-tuning"))
	if code != exitcode.Usage || !strings.Contains(got, `testdata/katib-examples/hp-tuning/random.yaml: experiment "random" is valid`) ||
		!strings.Contains(got, `testdata/katib-examples/hp-tuning/simple-pbt.yaml: spec.algorithm.algorithmName: Unsupported value: "pbt"`) {
		t.Errorf("directory: %s", got)
	}
}

func TestValidateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"validate"},
		{"validate", "-f", "testdata/experiments/no-such-file.yaml"},
		{"validate", "-f", "testdata/experiments/valid.yaml", "-o", "table"},
		{"validate", "extra-arg", "-f", "testdata/experiments/valid.yaml"},
	} {
		got, code := runValidate(t, "", args...)
		if code != exitcode.Usage {
			t.Errorf("%v: exit %d, want 2:\n%s", args, code, got)
		}
	}
}
