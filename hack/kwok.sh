#!/usr/bin/env bash
# kwok beside the local cluster: it plays the kubelet of simulated nodes (nodes annotated
# kwok.x-k8s.io/node=fake), so the API server, scheduler and controllers see a big cluster
# while nothing runs. Built from the Go module proxy at the version pinned in hack/kwok/go.mod
# and cached under .cache/bin/, like the cluster's own binaries.
#
#   hack/kwok.sh up      build on first use and start kwok
#   hack/kwok.sh down    stop the kwok this script started
#   hack/kwok.sh build   only build
#
# The real node (localhost) is not kwok's: only annotated nodes are managed.
set -euo pipefail
set +m

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=kwok
ADDON_MODULE="$ROOT/hack/kwok"
ADDON_PATH=sigs.k8s.io/kwok
ADDON_PKG=sigs.k8s.io/kwok/cmd/kwok
# shellcheck source=hack/lib/addon.sh
. "$ROOT/hack/lib/addon.sh"

cmd_up() {
  [ -f "$C/admin.kubeconfig" ] || die "the local cluster is not set up; run make cluster-up first"
  build
  if pid_of >/dev/null; then
    log "already running (pid $(pid_of))"
    return 0
  fi
  mkdir -p "$LOGS" "$PIDS"
  # kwok's own stages: nodes become Ready at once and renew a lease, Pods run at once.
  local stages="$C/kwok-stages.yaml" dir
  dir="$(module_dir)/kustomize/stage"
  : >"$stages"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    printf -- '---\n' >>"$stages"
    cat "$dir/$f" >>"$stages"
  done
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$NAME" >>"$LOGS/$NAME.log"
  # Leases of 120 s are renewed every 30 s: 1,000 nodes cost about 33 writes a second, and
  # the node controller (50 s grace) still sees them alive.
  setsid "$(binary)" --config "$stages" \
    --kubeconfig="$C/admin.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=120 \
    --cidr=10.240.0.0/12 \
    --server-address=127.0.0.1:10247 \
    >>"$LOGS/$NAME.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDS/$NAME.pid"
  sleep 1
  [ -d "/proc/$pid" ] || { tail -n 20 "$LOGS/$NAME.log" >&2; die "$NAME exited while starting"; }
  log "started $NAME (pid $pid, log $LOGS/$NAME.log)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  build) build ;;
  *) echo "usage: $0 up | down | build" >&2; exit 2 ;;
esac
