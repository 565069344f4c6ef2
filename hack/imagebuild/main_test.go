package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fakeCtr writes a stand-in for ctr that keeps one image in a file: `images import` records the
// tarball's checksum as the image digest, `images ls` lists it, and every call is logged.
func fakeCtr(t *testing.T) (path, store, calls string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "ctr")
	store = filepath.Join(dir, "store")
	calls = filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$*" >> "` + calls + `"
# skip --address A --namespace N
shift 4
case "$1 $2" in
"images ls")
  echo "REF TYPE DIGEST SIZE PLATFORMS LABELS"
  if [ -f "` + store + `" ]; then cat "` + store + `"; fi
  ;;
"images import")
  echo "localhost/x/app:v1 application/vnd.docker.distribution.manifest.v2+json sha256:$(sha256sum "$3" | cut -c1-64) 1MiB linux/amd64 -" > "` + store + `"
  ;;
*) echo "unexpected: $*" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, store, calls
}

func countLines(t *testing.T, path, substr string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), substr)
}

func TestBuildStampAndImport(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "app")
	data := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(prog, []byte("#!program v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("some data"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctrPath, store, calls := fakeCtr(t)
	out := filepath.Join(dir, "images", "app.tar")
	args := []string{"--ref", "localhost/x/app:v1", "--out", out, "--entrypoint", "/app",
		"--file", prog + ":/app:0755", "--file", data + ":/data/d.txt", "--user", "65532:65532",
		"--import", "--address", "/nowhere.sock", "--ctr", ctrPath}

	var log bytes.Buffer
	if err := run(args, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "wrote") || !strings.Contains(log.String(), "imported") {
		t.Fatalf("first run:\n%s", log.String())
	}

	// The tarball is a loadable image with the entrypoint, user and files we asked for.
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Entrypoint; len(got) != 1 || got[0] != "/app" || cf.Config.User != "65532:65532" {
		t.Fatalf("config %+v", cf.Config)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %v, err %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
	}
	if modes["app"] != 0o755 || modes["data/d.txt"] != 0o644 {
		t.Fatalf("layer entries %v", modes)
	}

	// Unchanged inputs: nothing is written or imported again.
	before, _ := os.Stat(out)
	log.Reset()
	if err := run(args, &log); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(out)
	if !strings.Contains(log.String(), "up to date") || !strings.Contains(log.String(), "already in containerd") || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("warm run:\n%s", log.String())
	}
	if n := countLines(t, calls, "images import"); n != 1 {
		t.Fatalf("%d imports after a warm run, want 1", n)
	}

	// containerd lost the image (e.g. the cluster was wiped): import again, without rebuilding.
	os.Remove(store)
	log.Reset()
	if err := run(args, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "up to date") || !strings.Contains(log.String(), "imported") {
		t.Fatalf("after wipe:\n%s", log.String())
	}

	// Changed program: rebuilt and re-imported.
	if err := os.WriteFile(prog, []byte("#!program v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if err := run(args, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "wrote") || !strings.Contains(log.String(), "imported") {
		t.Fatalf("after change:\n%s", log.String())
	}
	if n := countLines(t, calls, "images import"); n != 3 {
		t.Fatalf("%d imports in all, want 3", n)
	}
}

func TestSameInputsGiveTheSameDigest(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "app")
	os.WriteFile(prog, []byte("program"), 0o755)
	var digests []string
	for i := range 2 {
		out := filepath.Join(dir, "out"+string(rune('a'+i)), "app.tar")
		if err := run([]string{"--ref", "localhost/x/app:v1", "--out", out, "--entrypoint", "/app", "--file", prog + ":/app:0755"}, io.Discard); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, readStamp(out+".stamp").Digest)
	}
	if digests[0] == "" || digests[0] != digests[1] {
		t.Fatalf("digests %v", digests)
	}
}

func TestBadOptions(t *testing.T) {
	base := []string{"--ref", "localhost/x/app:v1", "--out", "x.tar", "--entrypoint", "/app", "--file", "app:/app:0755"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--out", "x.tar"}, "missing --entrypoint, --ref"},
		{append(base, "--file", "nodest"), "want SRC:DEST"},
		{append(base, "--file", "a:relative"), "must be an absolute path"},
		{append(base, "--file", "a:/b:999"), "octal permission"},
		{[]string{"--ref", "r", "--out", "x", "--entrypoint", "/other", "--file", "a:/app"}, "not one of the --file destinations"},
		{append(base, "--import"), "--import needs --address"},
		{append(base, "extra"), `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		_, err := parseOptions(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestParseImageList(t *testing.T) {
	out := "REF TYPE DIGEST SIZE PLATFORMS LABELS\n" +
		"localhost/a:v1 application/vnd.docker.distribution.manifest.v2+json sha256:aaa 1.0 MiB linux/amd64 -\n" +
		"localhost/ab:v1 application/vnd.docker.distribution.manifest.v2+json sha256:bbb 1.0 MiB linux/amd64 -\n"
	if got := parseImageList(out, "localhost/ab:v1"); got != "sha256:bbb" {
		t.Fatalf("got %q", got)
	}
	if got := parseImageList(out, "localhost/c:v1"); got != "" {
		t.Fatalf("got %q for a missing image", got)
	}
}
