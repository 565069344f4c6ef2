#!/usr/bin/env bash
# bench-arch: how long `kubectl arch explain` takes, cold (empty cache dir) and warm, against
# `kubectl api-resources` cold on the same cluster, in one run so that every figure sees the
# same machine load. Prints the ratios; the targets are cold <= 1.5x and warm <= 0.5x of
# `kubectl api-resources` cold.
#
# Rows:
#   api-resources-cold        kubectl api-resources with an empty cache dir (the baseline)
#   arch-explain-cold         kubectl arch explain with an empty cache dir
#   arch-explain-warm         again within the model's 30 s reuse window (nothing is read)
#   arch-explain-disc-cached  discovery cached on disk, live facts read again
#   plugin-binary-*           the same, running kubectl-arch without kubectl in front
#   kubectl-dispatch-floor    kubectl starting a plugin that does nothing: no plugin run
#                             through kubectl can be faster than this
#
# The targets are checked on the local cluster as it is, where client and API server share one
# machine and a round trip costs nothing. A second table repeats every row through
# hack/delayproxy, which adds RTT_MS (default 10) of round trip between them, as a cluster in
# the same region would; RTT_MS=0 skips it.
#
# Usage: hack/bench-arch.sh   (KUBECONFIG defaults to the local cluster's admin kubeconfig;
#        RUNS=30 sets the number of timed runs per row)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export KUBECONFIG=${KUBECONFIG:-$root/.cluster/admin.kubeconfig}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A plugin that does nothing, found by kubectl like any other.
mkdir -p "$work/bin"
ln -s "$(type -P true)" "$work/bin/kubectl-archbenchnoop"
export PATH=$root/bin:$root/.cluster/bin:$work/bin:$PATH
runs=${RUNS:-30}
rtt_ms=${RTT_MS:-10}

command -v kubectl >/dev/null || { echo "bench-arch: kubectl not found on PATH" >&2; exit 1; }
[ -x "$root/bin/kubectl-arch" ] || { echo "bench-arch: run 'make build' first" >&2; exit 1; }
kubectl get --raw /readyz >/dev/null || { echo "bench-arch: the cluster in $KUBECONFIG is not reachable" >&2; exit 1; }

names=(api-resources-cold arch-explain-cold arch-explain-warm arch-explain-disc-cached
	plugin-binary-cold plugin-binary-warm plugin-binary-disc-cached kubectl-dispatch-floor)
targets=("" "<=1.5" "<=0.5" "<=0.5" "<=1.5" "<=0.5" "<=0.5" "")

stat() { # median and mean in ms of the samples in $1
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1; s+=$1} END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		printf "%.1f %.1f", m/1e6, s/NR/1e6 }'
}

# bench TITLE: times every row against the cluster in $KUBECONFIG and prints the table.
bench() {
	local cache=$work/cache-$RANDOM
	local cmds=(
		"kubectl api-resources --cache-dir $cache/a"
		"kubectl arch explain --cache-dir $cache/b"
		"kubectl arch explain --cache-dir $cache/c"
		"kubectl arch explain --cache-dir $cache/d"
		"kubectl-arch explain --cache-dir $cache/e"
		"kubectl-arch explain --cache-dir $cache/f"
		"kubectl-arch explain --cache-dir $cache/g"
		"kubectl archbenchnoop"
	)
	local preps=("rm -rf $cache/a" "rm -rf $cache/b" "true" "rm -rf $cache/d/kubectl-arch"
		"rm -rf $cache/e" "true" "rm -rf $cache/g/kubectl-arch" "true")
	local i base med mean ratio t0
	# Rows are interleaved, one run of each per round, so a slow moment of the machine lands
	# on every row alike rather than on whichever command happened to be timed then.
	for i in "${!names[@]}"; do
		bash -c "${cmds[$i]}" >/dev/null # warm-up, and fills the warm caches
	done
	local -A samples=()
	for _ in $(seq "$runs"); do
		for i in "${!names[@]}"; do
			bash -c "${preps[$i]}"
			t0=$(date +%s%N)
			${cmds[$i]} >/dev/null
			samples[$i]+="$(($(date +%s%N) - t0)) "
		done
	done
	read -r base _ <<<"$(stat "${samples[0]}")"
	printf '\n%s\n%-26s %10s %10s %8s %8s\n' "$1" "command ($runs runs each)" "median ms" "mean ms" "ratio" "target"
	for i in "${!names[@]}"; do
		read -r med mean <<<"$(stat "${samples[$i]}")"
		ratio=$(awk -v a="$med" -v b="$base" 'BEGIN {printf "%.2f", a/b}')
		printf '%-26s %10s %10s %8s %8s\n' "${names[$i]}" "$med" "$mean" "${ratio}x" "${targets[$i]}"
	done
}

bench "Local cluster ($(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'), no added latency: the targets"

if [ "$rtt_ms" != 0 ]; then
	port=${DELAY_PORT:-7443}
	(cd "$root" && go build -o "$work/bin/delayproxy" ./hack/delayproxy)
: >"$work/proxy.log"
	"$work/bin/delayproxy" -listen "127.0.0.1:$port" -target "$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' | sed 's|^https://||')" \
		-rtt "${rtt_ms}ms" -for 15m >"$work/proxy.log" 2>&1 &
	proxy=$!
	trap 'kill $proxy 2>/dev/null; rm -rf "$work"' EXIT
	for _ in $(seq 50); do grep -q listening "$work/proxy.log" && break; sleep 0.1; done
	grep -q listening "$work/proxy.log" || { cat "$work/proxy.log" >&2; exit 1; }
	kubectl config view --minify --flatten >"$work/far.kubeconfig"
	KUBECONFIG=$work/far.kubeconfig kubectl config set-cluster "$(kubectl config view --minify -o jsonpath='{.clusters[0].name}')" \
		--server "https://127.0.0.1:$port" >/dev/null
	KUBECONFIG=$work/far.kubeconfig bench "The same cluster through hack/delayproxy, ${rtt_ms} ms round trip added: context, not the targets"
fi

echo
echo "Ratios are of medians against api-resources-cold of the same table. arch-explain-* go"
echo "through kubectl's plugin dispatch; kubectl-dispatch-floor is what that dispatch alone costs,"
echo "so a warm target below that floor cannot be met by any plugin run through kubectl."
echo "plugin-binary-* is kubectl-arch alone: what the plugin itself costs."
