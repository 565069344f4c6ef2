#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries and etcd for the local cluster from the Go module proxy,
# through the wrapper modules hack/k8s and hack/etcd (their go.mod pins the versions), and caches
# them under .cache/bin/<name>-<version>/. Binaries that already exist there are not rebuilt.
#
#   hack/build-k8s.sh            build whatever is missing
#   KUBE_VERSION=v1.34.4 hack/build-k8s.sh   the same for another pinned version (hack/k8s-v*)
#   K8S_FORCE=1 hack/build-k8s.sh   rebuild everything
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go

# Versions come from the wrapper modules so that one place pins them: hack/k8s holds the
# default, hack/k8s-v* the other versions the cluster can run (KUBE_VERSION=vX.Y.Z picks one).
k8s_version_of() { (cd "$1" && "$GO" list -m -f '{{.Version}}' k8s.io/kubernetes); }
K8S_MODULE="$ROOT/hack/k8s"
K8S_VERSION="$(k8s_version_of "$K8S_MODULE")"
if [ -n "${KUBE_VERSION:-}" ] && [ "$KUBE_VERSION" != "$K8S_VERSION" ]; then
  pinned="$K8S_VERSION"
  found=""
  for d in "$ROOT"/hack/k8s-v*/; do
    [ -f "$d/go.mod" ] || continue
    v="$(k8s_version_of "$d")"
    pinned="$pinned $v"
    [ "$v" = "$KUBE_VERSION" ] && found="${d%/}"
  done
  [ -n "$found" ] || { echo "build-k8s: KUBE_VERSION=$KUBE_VERSION is not pinned; pinned versions: $pinned" >&2; exit 2; }
  K8S_MODULE="$found"
  K8S_VERSION="$KUBE_VERSION"
fi
ETCD_VERSION="$(cd "$ROOT/hack/etcd" && "$GO" list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
K8S_DIR="$ROOT/.cache/bin/k8s-$K8S_VERSION"
ETCD_DIR="$ROOT/.cache/bin/etcd-$ETCD_VERSION"

case "${1:-}" in
  --print-dirs) echo "$K8S_DIR $ETCD_DIR"; exit 0 ;;
esac

ver="${K8S_VERSION#v}"; major="${ver%%.*}"; rest="${ver#*.}"; minor="${rest%%.*}"
# Without these the components report v0.0.0-master+$Format:%H$, which breaks version skew
# checks and anything that reads node or server versions.
K8S_LDFLAGS="-s -w \
 -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
 -X k8s.io/component-base/version.gitMajor=$major \
 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION \
 -X k8s.io/client-go/pkg/version.gitMajor=$major \
 -X k8s.io/client-go/pkg/version.gitMinor=$minor \
 -X k8s.io/client-go/pkg/version.gitTreeState=clean"

mkdir -p "$K8S_DIR" "$ETCD_DIR"
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  if [ -x "$K8S_DIR/$c" ] && [ -z "${K8S_FORCE:-}" ]; then continue; fi
  echo "building $c $K8S_VERSION (first build downloads Kubernetes and takes several minutes)"
  (cd "$K8S_MODULE" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$K8S_LDFLAGS" \
    -o "$K8S_DIR/$c.tmp" "k8s.io/kubernetes/cmd/$c")
  mv "$K8S_DIR/$c.tmp" "$K8S_DIR/$c"
done

if [ ! -x "$ETCD_DIR/etcd" ] || [ -n "${K8S_FORCE:-}" ]; then
  echo "building etcd $ETCD_VERSION"
  # etcd's version string is a constant of its api module, so it needs no ldflags.
  (cd "$ROOT/hack/etcd" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" \
    -o "$ETCD_DIR/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$ETCD_DIR/etcd.tmp" "$ETCD_DIR/etcd"
fi
