// Package ocimage writes small single-layer container images as tarballs that
// `ctr images import` (and `docker load`) accept, so the local cluster can run the
// project's own programs without a registry.
package ocimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one regular file of the image's only layer.
type File struct {
	// Path inside the image, absolute or relative to /; parent directories are created.
	Path string
	// Mode is the permission bits, e.g. 0o755 for a program; 0 means 0o644.
	Mode int64
	// Content is the file's bytes.
	Content []byte
}

// Config is what the image runs. Only Entrypoint is required.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// User, e.g. "65532:65532"; empty means root.
	User string
	// Labels are recorded in the image config.
	Labels map[string]string
	// Architecture of the programs in the image (GOARCH spelling); empty means the
	// architecture this code was built for, which is what a local cluster runs.
	Architecture string
}

// epoch keeps layer and config digests identical across builds of the same inputs, so
// re-importing an unchanged image is recognised as the same image.
var epoch = time.Unix(0, 0).UTC()

// Build writes an image named ref (e.g. "localhost/kubectl-katib/pause:v1") with one
// layer holding files and running entrypoint, to the tarball outTar.
func Build(ref string, files []File, entrypoint []string, outTar string) error {
	return BuildConfig(ref, files, Config{Entrypoint: entrypoint}, outTar)
}

// BuildConfig is Build with the full image configuration.
func BuildConfig(ref string, files []File, cfg Config, outTar string) error {
	img, tag, err := Image(ref, files, cfg)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(outTar, tag, img); err != nil {
		return fmt.Errorf("writing image %s to %s: %w", ref, outTar, err)
	}
	return nil
}

// Image returns the image and its parsed reference without writing anything, for callers
// that want its digest or to write it elsewhere.
func Image(ref string, files []File, cfg Config) (v1.Image, name.Tag, error) {
	tag, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image reference %q: %w", ref, err)
	}
	if len(cfg.Entrypoint) == 0 {
		return nil, name.Tag{}, fmt.Errorf("image %s: an entrypoint is required", ref)
	}
	layerTar, err := LayerTar(files)
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image %s: %w", ref, err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image %s: layer: %w", ref, err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "kubectl-katib ocimage"},
	})
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image %s: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image %s: %w", ref, err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = cfg.Architecture
	if cf.Architecture == "" {
		cf.Architecture = runtime.GOARCH
	}
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Cmd = cfg.Cmd
	cf.Config.Env = cfg.Env
	if len(cf.Config.Env) == 0 {
		cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	cf.Config.WorkingDir = cfg.WorkingDir
	cf.Config.User = cfg.User
	cf.Config.Labels = cfg.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, name.Tag{}, fmt.Errorf("image %s: %w", ref, err)
	}
	return img, tag, nil
}

// LayerTar returns an uncompressed tar of files, with their parent directories, in a
// fixed order and with fixed times and owners so equal inputs give equal bytes.
func LayerTar(files []File) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return clean(sorted[i].Path) < clean(sorted[j].Path) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	// Programs commonly need a writable /tmp even when nothing else is in the image.
	if err := writeDir(tw, "tmp/", 0o1777); err != nil {
		return nil, err
	}
	dirs["tmp"] = true
	seen := map[string]bool{}
	for _, f := range sorted {
		p := clean(f.Path)
		if p == "" || p == "." {
			return nil, fmt.Errorf("file with an empty path")
		}
		if seen[p] {
			return nil, fmt.Errorf("file %s given twice", p)
		}
		seen[p] = true
		var parents []string
		for d := path.Dir(p); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			dirs[parents[i]] = true
			if err := writeDir(tw, parents[i]+"/", 0o755); err != nil {
				return nil, err
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(f.Content)),
			ModTime: epoch, Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeDir(tw *tar.Writer, name string, mode int64) error {
	return tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX,
	})
}

func clean(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
