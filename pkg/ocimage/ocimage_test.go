package ocimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestLayerTarIsReproducibleWithParents(t *testing.T) {
	files := []File{
		{Path: "/data/mnist/train.gz", Content: []byte("x")},
		{Path: "app", Mode: 0o755, Content: []byte("#!")},
	}
	a, err := LayerTar(files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LayerTar([]File{files[1], files[0]})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same files in another order gave a different layer")
	}
	var names []string
	modes := map[string]int64{}
	tr := tar.NewReader(bytes.NewReader(a))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		modes[h.Name] = h.Mode
	}
	want := []string{"tmp/", "app", "data/", "data/mnist/", "data/mnist/train.gz"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("layer entries = %q, want %q", names, want)
	}
	if modes["app"] != 0o755 || modes["data/mnist/train.gz"] != 0o644 {
		t.Errorf("modes = %v", modes)
	}
}

func TestLayerTarRejectsDuplicatesAndEmptyPaths(t *testing.T) {
	if _, err := LayerTar([]File{{Path: "/a"}, {Path: "a"}}); err == nil {
		t.Error("duplicate path accepted")
	}
	if _, err := LayerTar([]File{{Path: "/"}}); err == nil {
		t.Error("empty path accepted")
	}
}

func TestBuildWritesAnImportableTarball(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img.tar")
	ref := "localhost/kubectl-katib/test:v1"
	if err := Build(ref, []File{{Path: "/pause", Mode: 0o755, Content: []byte("bin")}}, []string{"/pause"}, out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(manifest) != 1 || !reflect.DeepEqual(manifest[0].RepoTags, []string{ref}) || len(manifest[0].Layers) != 1 {
		t.Fatalf("manifest.json = %+v", manifest)
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cf.Config.Entrypoint, []string{"/pause"}) || cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("config = %+v", cf)
	}

	// Equal inputs, equal image: re-importing an unchanged image is a no-op for containerd.
	build := func() (string, string) {
		img, _, err := Image(ref, []File{{Path: "/pause", Mode: 0o755, Content: []byte("bin")}}, Config{Entrypoint: []string{"/pause"}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		c, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		return d.String(), c.String()
	}
	d1, c1 := build()
	d2, c2 := build()
	if d1 != d2 {
		t.Errorf("manifest digests differ for equal inputs: %s and %s", d1, d2)
	}
	if tc, err := img.ConfigName(); err != nil || tc.String() != c1 || c1 != c2 {
		t.Errorf("config digests differ: tarball %s, builds %s and %s (%v)", tc, c1, c2, err)
	}
}

func TestImageNeedsEntrypointAndValidRef(t *testing.T) {
	if _, _, err := Image("localhost/x:v1", nil, Config{}); err == nil {
		t.Error("image without an entrypoint accepted")
	}
	if _, _, err := Image("Not A Ref", nil, Config{Entrypoint: []string{"/x"}}); err == nil {
		t.Error("invalid reference accepted")
	}
}
