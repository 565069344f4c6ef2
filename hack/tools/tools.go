//go:build tools

// Package tools pins the developer tools the Makefile builds.
package tools

import (
	_ "honnef.co/go/tools/cmd/staticcheck"
	// krew v0.5.0 installs the plugins in the end-to-end test and validates the release
	// manifests; it lives here, never in the main module, because its dependency graph
	// must not touch the plugins' own k8s.io versions.
	_ "sigs.k8s.io/krew/cmd/krew"
	_ "sigs.k8s.io/krew/cmd/validate-krew-manifest"
)
