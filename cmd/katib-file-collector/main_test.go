package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/pkg/metrics/tfevents"
)

// syncBuffer is a bytes.Buffer the collector and the test may use at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the collector until the returned stop function is called, which returns its
// exit code once it has drained.
func start(t *testing.T, args ...string) (*syncBuffer, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, args, &out, &errOut) }()
	return &out, &errOut, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("the collector did not stop")
			return -1
		}
	}
}

func waitFor(t *testing.T, what func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !what() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// keyOf is the key the collector prints before the lines of path read from offset.
func keyOf(t *testing.T, path string, gen int, offset int64) string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	id := fileID(info)
	if gen > 0 {
		id += "." + strconv.Itoa(gen)
	}
	return "@" + id + ":" + strconv.FormatInt(offset, 10) + " "
}

// unkeyed removes the keys from the collector's output.
func unkeyed(t *testing.T, out string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		if l == "" {
			continue
		}
		i := strings.IndexByte(l, ' ')
		if !strings.HasPrefix(l, "@") || i < 0 {
			t.Fatalf("line without a key: %q", l)
		}
		b.WriteString(l[i+1:])
	}
	return b.String()
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestFollowsLinesAndHoldsBackHalfLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mnist.log")
	out, errOut, stop := start(t, "--path", path, "--poll", "5ms")
	appendTo(t, path, "epoch=1 accuracy=0.81")
	time.Sleep(50 * time.Millisecond)
	if out.String() != "" {
		t.Fatalf("printed a half line: %q", out.String())
	}
	appendTo(t, path, "23 loss=0.5\n{\"accuracy\": \"0.9\"}\n")
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 2 })
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if want := keyOf(t, path, 0, 0) + "epoch=1 accuracy=0.8123 loss=0.5\n" + keyOf(t, path, 0, 33) + "{\"accuracy\": \"0.9\"}\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	if errOut.String() != "" {
		t.Errorf("stderr: %q", errOut.String())
	}
}

// TestDrainsOnStop is the trainer that writes its last metrics and exits at once: the
// sidecar is stopped before its next look at the file, and must still print them, the
// unterminated last line included.
func TestDrainsOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "mnist.log")
	out, _, stop := start(t, "--path", path, "--poll", "1h")
	time.Sleep(20 * time.Millisecond)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "epoch=1 accuracy=0.5\nepoch=2 accuracy=0.7\nepoch=3 accuracy=0.9")
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if want := keyOf(t, path, 0, 0) + "epoch=1 accuracy=0.5\n" + keyOf(t, path, 0, 21) + "epoch=2 accuracy=0.7\n" +
		keyOf(t, path, 0, 42) + "epoch=3 accuracy=0.9\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestRewrittenFileIsReadAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	appendTo(t, path, "accuracy=0.1\naccuracy=0.2\n")
	out, _, stop := start(t, "--path", path, "--poll", "5ms")
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 2 })
	if err := os.WriteFile(path, []byte("accuracy=0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 3 })
	stop()
	// Rewritten in place: the offsets start again, under a new key.
	if want := keyOf(t, path, 0, 0) + "accuracy=0.1\n" + keyOf(t, path, 0, 13) + "accuracy=0.2\n" + keyOf(t, path, 1, 0) + "accuracy=0.3\n"; out.String() != want {
		t.Fatalf("got %q", out.String())
	}
}

// eventWriter creates an event file in dir (made if missing), closed when the test ends.
func eventWriter(t *testing.T, dir string, at time.Time) *tfevents.Writer {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, tfevents.FileName(at, "host", 1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	w, err := tfevents.NewWriter(f, at)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestEventFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(sub string, at time.Time, scalars ...tfevents.Scalar) {
		if err := eventWriter(t, filepath.Join(dir, sub), at).WriteScalars(at, 1, scalars...); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Unix(1700000000, 500_000_000)
	out, _, stop := start(t, "--mode", "tfevent", "--path", dir, "--metric", "accuracy", "--metric", "test/loss", "--poll", "1h")
	write("train", at, tfevents.Scalar{Tag: "accuracy", Value: 0.9012}, tfevents.Scalar{Tag: "loss", Value: 0.5})
	write("test", at.Add(time.Second), tfevents.Scalar{Tag: "accuracy_1", Value: 0.8}, tfevents.Scalar{Tag: "loss", Value: 0.25}, tfevents.Scalar{Tag: "other", Value: 3})
	write("latest", at, tfevents.Scalar{Tag: "loss", Value: 7})
	write("nothing", at, tfevents.Scalar{Tag: "lr", Value: 0.1})
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(unkeyed(t, out.String())), "\n")
	got := map[string]bool{}
	for _, l := range lines {
		got[l] = true
	}
	for _, w := range []string{
		`{"accuracy": 0.9012, "timestamp": 1700000000.5}`,
		`{"accuracy": 0.8, "test/loss": 0.25, "timestamp": 1700000001.5}`,
	} {
		if !got[w] {
			t.Errorf("missing %s in:\n%s", w, out.String())
		}
	}
	// "latest" ends in "test" but is not the directory test; "nothing" has no wanted tag.
	if len(lines) != 2 {
		t.Errorf("want 2 lines, got:\n%s", out.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--path is required"},
		{[]string{"--path", "rel/m.log"}, "--path must be absolute"},
		{[]string{"--path", "/m", "--mode", "tfevent"}, "needs at least one --metric"},
		{[]string{"--path", "/m", "--mode", "csv"}, "--mode must be file or tfevent"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut.String())
		}
	}
}

// TestSIGTERM runs the built program as the kubelet does: SIGTERM once the trainer has
// exited, and the metrics written last must be on stdout before it exits 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	bin := filepath.Join(t.TempDir(), "collector")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "m.json")
	cmd := exec.Command(bin, "--path", path, "--poll", "1h")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	appendTo(t, path, "{\"accuracy\": \"0.95\"}\n")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if out.String() != keyOf(t, path, 0, 0)+"{\"accuracy\": \"0.95\"}\n" {
		t.Fatalf("stdout %q", out.String())
	}
}

// A collector the kubelet restarts reads its files from the start and prints everything
// again: with the same keys, which is how the engine knows what it has read before.
func TestRestartPrintsTheSameKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	appendTo(t, path, "accuracy=0.1\naccuracy=0.2\n")
	first, _, stop := start(t, "--path", path, "--poll", "5ms")
	waitFor(t, func() bool { return strings.Count(first.String(), "\n") == 2 })
	stop()
	appendTo(t, path, "accuracy=0.3\n")
	second, _, stop := start(t, "--path", path, "--poll", "5ms")
	waitFor(t, func() bool { return strings.Count(second.String(), "\n") == 3 })
	stop()
	if !strings.HasPrefix(second.String(), first.String()) || unkeyed(t, second.String()) != "accuracy=0.1\naccuracy=0.2\naccuracy=0.3\n" {
		t.Fatalf("first run %q, second %q", first.String(), second.String())
	}

	dir := t.TempDir()
	at := time.Unix(1700000000, 0)
	w := eventWriter(t, dir, at)
	for step := int64(1); step <= 3; step++ {
		if err := w.WriteScalars(at.Add(time.Duration(step)*time.Second), step, tfevents.Scalar{Tag: "accuracy", Value: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	runOnce := func() string {
		out, _, stop := start(t, "--mode", "tfevent", "--path", dir, "--metric", "accuracy", "--poll", "1h")
		stop()
		return out.String()
	}
	a, b := runOnce(), runOnce()
	if a != b || strings.Count(a, "\n") != 3 {
		t.Fatalf("event lines differ between runs or are not 3:\n%s\n%s", a, b)
	}
	// Three records, three keys: the same value at different offsets stays three reports.
	keys := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(a), "\n") {
		keys[l[:strings.IndexByte(l, ' ')]] = true
	}
	if len(keys) != 3 {
		t.Fatalf("keys %v, want 3 different ones", keys)
	}
}
