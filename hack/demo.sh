#!/usr/bin/env bash
# `make demo`: the seed tutorial's mnistpod flow on the local cluster, then the main job: a Katib
# experiment over the MNIST trainer run client-side by `kubectl katib run`, and the cluster's
# architecture by `kubectl arch`. `make demo` has already built the plugins, started the cluster
# and imported the images.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/bin:$root/.cluster/bin:$PATH"
export KUBECONFIG="${KUBECONFIG_DEMO:-$root/.cluster/admin.kubeconfig}"
ns="${DEMO_NAMESPACE:-default}"

bold='' reset=''
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' reset=$'\033[0m'; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }

manifest='apiVersion: v1
kind: Pod
metadata:
  name: mnistpod
spec:
  containers:
  - name: mnist
    image: localhost/kubectl-katib/mnist-trainer:v1
    imagePullPolicy: IfNotPresent
    args:
    - "--epochs=1"
    - "--num-train=5000"
    - "--format=tutorial"
  restartPolicy: Never'

step "kubectl apply -f mnistpod.yaml   (the MNIST trainer, one epoch on 5000 images)"
# A leftover from an interrupted demo would make apply a no-op on a finished Pod.
kubectl delete pod mnistpod -n "$ns" --ignore-not-found --wait=true >/dev/null
start=$(date +%s%3N)
echo "$manifest" | kubectl apply -n "$ns" -f -

step "kubectl wait --for=jsonpath='{.status.phase}'=Succeeded pod/mnistpod"
if ! kubectl wait -n "$ns" pod/mnistpod --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s; then
  kubectl describe -n "$ns" pod mnistpod >&2 || true
  kubectl logs -n "$ns" mnistpod >&2 || true
  echo "demo: mnistpod did not succeed; its description and log are above" >&2
  exit 1
fi
ms=$(($(date +%s%3N) - start))

step "kubectl logs mnistpod"
log="$(kubectl logs -n "$ns" mnistpod)"
echo "$log"
accuracy="$(echo "$log" | sed -n 's/^Accuracy at step [0-9]*: \([0-9.]*\)$/\1/p' | tail -n 1)"
if [ -z "$accuracy" ]; then
  echo "demo: no \"Accuracy at step N: X\" line in the log" >&2
  exit 1
fi
printf '\nAccuracy after one epoch: %s (the Pod finished %d.%ds after apply)\n' "$accuracy" $((ms / 1000)) $((ms % 1000 / 100))

step "kubectl delete -f mnistpod.yaml"
echo "$manifest" | kubectl delete -n "$ns" -f -

step "kubectl katib run -f examples/experiments/mnist-random.yaml   (8 trials, 2 at a time)"
# A previous demo's experiment would make run refuse the name.
kubectl katib delete mnist-random -n "$ns" >/dev/null 2>&1 || true
kubectl katib run -f "$root/examples/experiments/mnist-random.yaml" -n "$ns"

step "kubectl katib get experiments"
kubectl katib get experiments -n "$ns"

step "kubectl arch explain"
kubectl arch explain || kubectl arch --help
