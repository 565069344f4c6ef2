//go:build tools

// Package etcd pins the etcd server that hack/build-k8s.sh builds for the local cluster.
package etcd

import (
	_ "go.etcd.io/etcd/server/v3"
)
