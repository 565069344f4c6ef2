package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/metrics/tfevents"
)

// printed runs the trainer with the extra flags and returns the stdout epoch lines as
// [epoch, accuracy, loss] strings.
func printed(t *testing.T, extra ...string) [][3]string {
	t.Helper()
	var out, errOut bytes.Buffer
	args := append([]string{"--data-dir", mnistDir(t), "--num-train=640", "--num-test=100", "--epochs=2", "--seed=5"}, extra...)
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errOut.String())
	}
	var rows [][3]string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		m := katibLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q is not in Katib's format", line)
		}
		rows = append(rows, [3]string{m[1], m[2], m[3]})
	}
	return rows
}

func TestMetricsFileText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not", "yet", "mnist.log")
	rows := printed(t, "--metrics-file", path)
	var want strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&want, "epoch=%s accuracy=%s loss=%s\n", r[0], r[1], r[2])
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("file:\n%s\nwant the stdout lines:\n%s", got, want.String())
	}
}

func TestMetricsFilePyTorchStyle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mnist.log")
	rows := printed(t, "--metrics-file", path, "--metrics-file-style", "pytorch")
	var want strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&want, "{metricName: accuracy, metricValue: %s};{metricName: loss, metricValue: %s}\n", r[1], r[2])
	}
	got, _ := os.ReadFile(path)
	if string(got) != want.String() {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want.String())
	}
}

func TestMetricsFileJSON(t *testing.T) {
	for _, name := range []string{"mnist.json", "mnist.jsonl"} {
		path := filepath.Join(t.TempDir(), "katib", name)
		rows := printed(t, "--metrics-file", path)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(got)), "\n")
		if len(lines) != len(rows) {
			t.Fatalf("%s: %d lines for %d epochs:\n%s", name, len(lines), len(rows), got)
		}
		for i, line := range lines {
			// Values must be JSON strings: Katib's JSON format skips any other type.
			var obj map[string]string
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Fatalf("%s line %d %q: %v", name, i, line, err)
			}
			want := map[string]string{"epoch": rows[i][0], "accuracy": rows[i][1], "loss": rows[i][2]}
			if fmt.Sprint(obj) != fmt.Sprint(want) {
				t.Errorf("%s line %d: %v, want %v", name, i, obj, want)
			}
		}
	}
}

func TestTFEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs", "train")
	rows := printed(t, "--tf-events", dir)
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !tfevents.IsEventFile(entries[0].Name()) {
		t.Fatalf("want one event file in %s, got %v (%v)", dir, entries, err)
	}
	f, err := os.Open(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := tfevents.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(rows)+1 || events[0].FileVersion != tfevents.FileVersion {
		t.Fatalf("events %+v for %d epochs", events, len(rows))
	}
	for i, r := range rows {
		ev := events[i+1]
		// Summaries hold float32 values; written back with float32 precision they are the
		// printed digits.
		got := [3]string{strconv.FormatInt(ev.Step, 10)}
		for _, s := range ev.Scalars {
			v := strconv.FormatFloat(s.Value, 'f', 4, 32)
			switch s.Tag {
			case "accuracy":
				got[1] = v
			case "loss":
				got[2] = v
			}
		}
		if got != r || len(ev.Scalars) != 2 {
			t.Errorf("epoch %d: event %+v, want %v", i+1, ev, r)
		}
	}
}

func TestBadMetricsFileStyle(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--metrics-file-style=csv"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "--metrics-file-style must be katib or pytorch") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
