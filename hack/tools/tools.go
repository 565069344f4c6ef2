//go:build tools

// Package tools pins the developer tools the Makefile builds.
package tools

import (
	_ "honnef.co/go/tools/cmd/staticcheck"
)
