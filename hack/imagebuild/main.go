// Command imagebuild turns files (typically one static Go program plus its data) into a
// single-layer OCI image tarball and, when asked, imports it into a containerd namespace with
// `ctr images import`. It exists because the local cluster has no registry to pull from.
//
// Both steps are skipped when nothing changed: the tarball is rewritten only when the image's
// manifest digest differs from the one recorded in FILE.stamp, and the import only when
// containerd does not already hold exactly what the stamp says was imported. That keeps a warm
// `make images` to about a second.
//
//	imagebuild --ref localhost/kubectl-katib/echo-metric:v1 --out .cache/images/echo-metric.tar \
//	    --file bin/echo-metric:/echo-metric:0755 --entrypoint /echo-metric \
//	    --import --address .cluster/containerd/containerd.sock
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/ocimage"
)

// fileSpec is one --file value: SRC:DEST[:MODE].
type fileSpec struct {
	src, dest string
	mode      int64
}

type fileSpecs []fileSpec

func (f *fileSpecs) String() string { return fmt.Sprint(*f) }

func (f *fileSpecs) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("want SRC:DEST or SRC:DEST:MODE, got %q", v)
	}
	fs := fileSpec{src: parts[0], dest: parts[1], mode: 0o644}
	if !strings.HasPrefix(fs.dest, "/") {
		return fmt.Errorf("destination %q must be an absolute path inside the image", fs.dest)
	}
	if len(parts) == 3 {
		m, err := strconv.ParseInt(parts[2], 8, 32)
		if err != nil || m <= 0 || m > 0o7777 {
			return fmt.Errorf("mode %q is not an octal permission such as 0755", parts[2])
		}
		fs.mode = m
	}
	*f = append(*f, fs)
	return nil
}

type options struct {
	ref        string
	out        string
	entrypoint string
	user       string
	files      fileSpecs
	doImport   bool
	address    string
	namespace  string
	ctr        string
	force      bool
}

// stamp records what was last written and imported, next to the tarball.
type stamp struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	// Imported is keyed by "address|namespace": the digest containerd reported for Ref right
	// after the import. containerd stores its own manifest for a Docker-style tarball, so its
	// digest differs from Digest and has to be remembered rather than recomputed.
	Imported map[string]string `json:"imported,omitempty"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.ref, "ref", "", "image reference, e.g. localhost/kubectl-katib/mnist-trainer:v1")
	fs.StringVar(&o.out, "out", "", "tarball to write; its stamp goes to the same path plus .stamp")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "absolute path of the program the image runs")
	fs.StringVar(&o.user, "user", "", "user the image runs as, e.g. 65532:65532 (default root)")
	fs.Var(&o.files, "file", "SRC:DEST[:MODE] to put into the image (repeatable; MODE is octal, default 0644)")
	fs.BoolVar(&o.doImport, "import", false, "import the tarball into containerd with ctr")
	fs.StringVar(&o.address, "address", "", "containerd socket for --import")
	fs.StringVar(&o.namespace, "namespace", "k8s.io", "containerd namespace for --import (the CRI plugin's is k8s.io)")
	fs.StringVar(&o.ctr, "ctr", "ctr", "ctr program for --import")
	fs.BoolVar(&o.force, "force", false, "rebuild and re-import even when nothing changed")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err}
	}
	var missing []string
	for name, v := range map[string]string{"--ref": o.ref, "--out": o.out, "--entrypoint": o.entrypoint} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return o, usageError{fmt.Errorf("missing %s", strings.Join(missing, ", "))}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if len(o.files) == 0 {
		return o, usageError{errors.New("no --file given: an image needs at least its program")}
	}
	if o.doImport && o.address == "" {
		return o, usageError{errors.New("--import needs --address, the containerd socket")}
	}
	found := false
	for _, f := range o.files {
		found = found || f.dest == o.entrypoint
	}
	if !found {
		return o, usageError{fmt.Errorf("--entrypoint %s is not one of the --file destinations", o.entrypoint)}
	}
	return o, nil
}

func run(args []string, stdout io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	var files []ocimage.File
	for _, f := range o.files {
		content, err := os.ReadFile(f.src)
		if err != nil {
			return err
		}
		files = append(files, ocimage.File{Path: f.dest, Mode: f.mode, Content: content})
	}
	cfg := ocimage.Config{Entrypoint: []string{o.entrypoint}, User: o.user}
	img, _, err := ocimage.Image(o.ref, files, cfg)
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("image %s: %w", o.ref, err)
	}
	digest := d.String()
	stampPath := o.out + ".stamp"
	st := readStamp(stampPath)
	_, statErr := os.Stat(o.out)
	changed := st.Ref != o.ref || st.Digest != digest
	if changed {
		// The recorded imports were of other content; none of them counts any more.
		st = stamp{Ref: o.ref, Digest: digest}
	}

	if o.force || changed || statErr != nil {
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		// Write next to the target under a unique name and rename, so neither an interrupted
		// build nor two builds at once leave a tarball that a later run would take for complete.
		tmp, err := tempPath(o.out)
		if err != nil {
			return err
		}
		if err := ocimage.BuildConfig(o.ref, files, cfg, tmp); err != nil {
			os.Remove(tmp)
			return err
		}
		if err := os.Rename(tmp, o.out); err != nil {
			os.Remove(tmp)
			return err
		}
		if err := writeStamp(stampPath, st); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: wrote %s (%s, %s)\n", o.ref, o.out, humanSize(o.out), short(digest))
	} else {
		fmt.Fprintf(stdout, "%s: %s is up to date (%s)\n", o.ref, o.out, short(digest))
	}

	if !o.doImport {
		return nil
	}
	key := o.address + "|" + o.namespace
	current, err := importedDigest(o)
	if err != nil {
		return err
	}
	if !o.force && current != "" && st.Imported[key] == current {
		fmt.Fprintf(stdout, "%s: already in containerd (%s)\n", o.ref, short(current))
		return nil
	}
	if err := ctr(o, "images", "import", o.out); err != nil {
		return err
	}
	if current, err = importedDigest(o); err != nil {
		return err
	}
	if current == "" {
		return fmt.Errorf("%s: ctr imported %s but containerd does not list the image afterwards", o.ref, o.out)
	}
	if st.Imported == nil {
		st.Imported = map[string]string{}
	}
	st.Imported[key] = current
	if err := writeStamp(stampPath, st); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: imported into containerd namespace %s (%s)\n", o.ref, o.namespace, short(current))
	return nil
}

// importedDigest returns the digest containerd lists for o.ref, or "" when it has no such image.
func importedDigest(o options) (string, error) {
	out, err := ctrOutput(o, "images", "ls", "name=="+o.ref)
	if err != nil {
		return "", err
	}
	return parseImageList(out, o.ref), nil
}

// parseImageList reads `ctr images ls` output: a header, then REF TYPE DIGEST SIZE ... rows.
func parseImageList(out, ref string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == ref && strings.HasPrefix(f[2], "sha256:") {
			return f[2]
		}
	}
	return ""
}

func ctr(o options, args ...string) error {
	_, err := ctrOutput(o, args...)
	return err
}

func ctrOutput(o options, args ...string) (string, error) {
	full := append([]string{"--address", o.address, "--namespace", o.namespace}, args...)
	cmd := exec.Command(o.ctr, full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", o.ctr, strings.Join(full, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

func readStamp(path string) stamp {
	var s stamp
	b, err := os.ReadFile(path)
	if err == nil {
		// A damaged stamp only costs a rebuild, so it is treated like a missing one.
		_ = json.Unmarshal(b, &s)
	}
	return s
}

func writeStamp(path string, s stamp) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := tempPath(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// tempPath reserves a unique file name next to path, for a write-then-rename.
func tempPath(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		return "", err
	}
	// CreateTemp's 0600 would carry over to the final file; these are not secrets.
	return name, os.Chmod(name, 0o644)
}

func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}

func humanSize(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "size unknown"
	}
	return fmt.Sprintf("%.1f MB", float64(fi.Size())/1e6)
}
