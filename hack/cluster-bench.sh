#!/usr/bin/env bash
# Measures the running local cluster: memory (RSS) of its components, and Pod create-to-Running
# and create-to-Succeeded latency, as seen by kubectl (process start included), for N Pods run
# one after another.
#
#   hack/cluster-bench.sh [N] [IMAGE [ARGS...]]
#   default: 5 Pods of localhost/kubectl-katib/mnist-trainer:v1 --epochs=1 --num-train=2000,
#   or of the pause image (Running only) when the trainer image is not imported.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
C="$ROOT/.cluster"
export KUBECONFIG="$C/admin.kubeconfig" PATH="$C/bin:$PATH"
N="${1:-5}"
shift || true
SOCK="$C/containerd/containerd.sock"
if [ $# -gt 0 ]; then
  IMAGE="$1"; shift; ARGS=("$@")
elif grep -qx localhost/kubectl-katib/mnist-trainer:v1 <<<"$(ctr --address "$SOCK" -n k8s.io images ls -q)"; then
  IMAGE=localhost/kubectl-katib/mnist-trainer:v1; ARGS=(--epochs=1 --num-train=2000)
else
  IMAGE=localhost/kubectl-katib/pause:v1; ARGS=()
fi

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "memory (RSS):"
total=0
for f in "$C"/pids/*.pid; do
  pid="$(cat "$f")"; kb="$(rss_kb "$pid")"; total=$((total + kb))
  printf '  %-24s %7d MiB\n' "$(basename "$f" .pid)" $((kb / 1024))
done
shims=0
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do shims=$((shims + $(rss_kb "$pid"))); done
printf '  %-24s %7d MiB\n' "components total" $((total / 1024))
printf '  %-24s %7d MiB\n' "+ containerd shims" $((shims / 1024))

ns="bench-cluster-$$"
kubectl create namespace "$ns" >/dev/null
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
kubectl -n "$ns" wait --for=create serviceaccount/default --timeout=60s >/dev/null
argsyaml=""
for a in "${ARGS[@]}"; do argsyaml+="    - \"$a\""$'\n'; done
running=(); succeeded=()
for i in $(seq 1 "$N"); do
  manifest="apiVersion: v1
kind: Pod
metadata:
  name: bench-$i
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
${argsyaml:+    args:
$argsyaml}"
  t0=$(date +%s.%N)
  kubectl -n "$ns" create -f - <<<"$manifest" >/dev/null
  t_run="" t_done=""
  # A watch, not polling: the first Running (or terminal) phase it reports is the moment seen.
  while read -r phase; do
    now=$(date +%s.%N)
    case "$phase" in
      Running) [ -n "$t_run" ] || t_run=$now ;;
      Succeeded|Failed) [ -n "$t_run" ] || t_run=$now; t_done=$now; break ;;
    esac
    [ -n "$t_run" ] && [ ${#ARGS[@]} -eq 0 ] && break
  done < <(timeout 300 kubectl -n "$ns" get "pod/bench-$i" -w -o jsonpath='{.status.phase}{"\n"}')
  [ -n "$t_run" ] || { echo "pod bench-$i never ran" >&2; exit 1; }
  running+=("$(awk -v a="$t_run" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')")
  [ -z "$t_done" ] || succeeded+=("$(awk -v a="$t_done" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')")
  kubectl -n "$ns" delete pod "bench-$i" --wait=false >/dev/null
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "image: $IMAGE ${ARGS[*]}"
printf 'create-to-Running   (s): %s  median %s\n' "${running[*]}" "$(median "${running[@]}")"
[ ${#succeeded[@]} -eq 0 ] || printf 'create-to-Succeeded (s): %s  median %s\n' "${succeeded[*]}" "$(median "${succeeded[@]}")"
