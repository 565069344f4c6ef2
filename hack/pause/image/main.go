// Command image packages a static program as a single-layer image tarball that
// `ctr images import` accepts; the local cluster uses it for its pause image.
//
//	go run ./hack/pause/image -ref localhost/kubectl-katib/pause:v1 -bin /path/to/pause -out pause.tar
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kubectl-katib/plugins/pkg/ocimage"
)

func main() {
	ref := flag.String("ref", "localhost/kubectl-katib/pause:v1", "image reference")
	bin := flag.String("bin", "", "static program to put at /pause and run as the entrypoint")
	out := flag.String("out", "", "tarball to write")
	flag.Parse()
	if *bin == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "image: -bin and -out are required")
		os.Exit(2)
	}
	content, err := os.ReadFile(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	files := []ocimage.File{{Path: "/pause", Mode: 0o755, Content: content}}
	cfg := ocimage.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}
	if err := ocimage.BuildConfig(*ref, files, cfg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}
