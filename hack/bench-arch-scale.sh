#!/usr/bin/env bash
# bench-arch-scale: kubectl arch explain on a big cluster (make cluster-scale: 1,000 simulated
# nodes, 10,000 Pods), against `kubectl get pods -A` cold on the same cluster, in one run so
# that every figure sees the same machine load. Targets: arch explain cold <= 1.5x and warm
# <= 0.5x of `kubectl get pods -A` cold; the plugin's peak resident memory <= 300 MB.
#
# Rows (median and mean of RUNS timed runs, default 5):
#   get-pods-cold       kubectl get pods -A with an empty cache dir (the baseline)
#   arch-explain-cold   kubectl arch explain with an empty cache dir
#   arch-explain-warm   again within the model's 30 s reuse window
#   arch-capacity-cold  kubectl arch explain nodes (per node and pool capacity), empty cache dir
# and the peak RSS of kubectl-arch explain cold (GNU time).
#
# Usage: hack/bench-arch-scale.sh   (KUBECONFIG defaults to the local cluster's admin kubeconfig)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export KUBECONFIG=${KUBECONFIG:-$root/.cluster/admin.kubeconfig}
export PATH=$root/bin:$root/.cluster/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-5}

[ -x "$root/bin/kubectl-arch" ] || { echo "bench-arch-scale: run 'make build' first" >&2; exit 1; }
nodes=$(kubectl get nodes -o name | wc -l)
pods=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
[ "$nodes" -ge 100 ] || echo "bench-arch-scale: only $nodes nodes; run 'make cluster-scale' first for the 1,000-node figures" >&2

ms() { # runs a command, prints its wall time in ms
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "bench-arch-scale: failed: $*" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(((e - s) / 1000000))
}
stat() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1; s+=$1} END {
	m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%d %d", m, s/NR }'; }

declare -A samples
for i in $(seq "$runs"); do
	c=$work/c$i
	samples[get]+=" $(ms kubectl get pods -A --cache-dir "$c/a")"
	samples[cold]+=" $(ms kubectl arch explain --cache-dir "$c/b")"
	samples[warm]+=" $(ms kubectl arch explain --cache-dir "$c/b")"
	samples[cap]+=" $(ms kubectl arch explain nodes --cache-dir "$c/d")"
done
/usr/bin/time -o "$work/rss.txt" -f '%M' kubectl-arch explain --cache-dir "$work/rss" >/dev/null 2>&1
rss=$(tail -1 "$work/rss.txt")

read -r base _ <<<"$(stat "${samples[get]}")"
printf 'cluster: %d nodes, %d Pods; %d runs per row\n\n' "$nodes" "$pods" "$runs"
printf '%-20s %10s %10s %8s %8s\n' row median_ms mean_ms ratio target
for row in get:get-pods-cold: cold:arch-explain-cold:'<=1.5' warm:arch-explain-warm:'<=0.5' cap:arch-capacity-cold:; do
	IFS=: read -r key name target <<<"$row"
	read -r med mean <<<"$(stat "${samples[$key]}")"
	printf '%-20s %10d %10d %8.2f %8s\n' "$name" "$med" "$mean" "$(awk -v a="$med" -v b="$base" 'BEGIN{print a/b}')" "$target"
done
printf '\nkubectl-arch explain cold, peak RSS: %d MB (target <= 300)\n' $((rss / 1024))
