#!/usr/bin/env bash
# bench-arch: how long `kubectl arch explain` takes, cold (empty cache dir) and warm (cached
# discovery and model), against `kubectl api-resources` cold on the same cluster, in one run
# so that every figure sees the same machine load. Prints the ratios; the targets are
# cold <= 1.5x and warm <= 0.5x of `kubectl api-resources` cold.
#
# Usage: hack/bench-arch.sh   (KUBECONFIG defaults to the local cluster's admin kubeconfig;
#        RUNS=20 sets the number of timed runs per command)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export KUBECONFIG=${KUBECONFIG:-$root/.cluster/admin.kubeconfig}
export PATH=$root/bin:$root/.cluster/bin:$PATH
runs=${RUNS:-20}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

command -v kubectl >/dev/null || { echo "bench-arch: kubectl not found on PATH" >&2; exit 1; }
[ -x "$root/bin/kubectl-arch" ] || { echo "bench-arch: run 'make build' first" >&2; exit 1; }
kubectl get --raw /readyz >/dev/null || { echo "bench-arch: the cluster in $KUBECONFIG is not reachable" >&2; exit 1; }

names=(api-resources-cold arch-explain-cold arch-explain-warm plugin-binary-cold plugin-binary-warm)
cmds=(
	"kubectl api-resources --cache-dir $cache/a"
	"kubectl arch explain --cache-dir $cache/b"
	"kubectl arch explain --cache-dir $cache/c"
	"kubectl-arch explain --cache-dir $cache/d"
	"kubectl-arch explain --cache-dir $cache/e"
)
preps=("rm -rf $cache/a" "rm -rf $cache/b" "true" "rm -rf $cache/d" "true")
means=()

if command -v hyperfine >/dev/null; then
	args=()
	for i in "${!names[@]}"; do
		args+=(-n "${names[$i]}" --prepare "${preps[$i]}" "${cmds[$i]}")
	done
	hyperfine -N --style basic --warmup 3 --runs "$runs" --export-csv "$cache/out.csv" "${args[@]}" >&2
	for n in "${names[@]}"; do
		means+=("$(awk -F, -v n="$n" '$1==n {printf "%.1f", $2*1000}' "$cache/out.csv")")
	done
else
	echo "bench-arch: hyperfine not found (apt-get install hyperfine); timing with a shell loop" >&2
	for i in "${!names[@]}"; do
		bash -c "${cmds[$i]}" >/dev/null # warm-up, and fills the warm caches
		total=0
		for _ in $(seq "$runs"); do
			bash -c "${preps[$i]}"
			t0=$(date +%s%N)
			bash -c "${cmds[$i]}" >/dev/null
			total=$((total + $(date +%s%N) - t0))
		done
		means+=("$(awk -v t="$total" -v r="$runs" 'BEGIN {printf "%.1f", t/r/1e6}')")
	done
fi

base=${means[0]}
printf '\n%-22s %10s %8s %8s\n' "command" "mean ms" "ratio" "target"
targets=("" "<=1.5" "<=0.5" "<=1.5" "<=0.5")
for i in "${!names[@]}"; do
	ratio=$(awk -v a="${means[$i]}" -v b="$base" 'BEGIN {printf "%.2f", a/b}')
	printf '%-22s %10s %8s %8s\n' "${names[$i]}" "${means[$i]}" "${ratio}x" "${targets[$i]}"
done
echo
echo "arch-explain-* go through kubectl's plugin dispatch, which alone costs about as much as"
echo "kubectl's own start-up; plugin-binary-* run kubectl-arch directly (what the plugin itself costs)."
