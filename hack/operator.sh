#!/usr/bin/env bash
# Kubeflow's training operator (PyTorchJob only) for the local cluster, as a plain process of
# this machine like the cluster's own components: built from the Go module proxy at the version
# pinned in hack/operators/go.mod and cached under .cache/bin/.
#
#   hack/operator.sh up      build on first use, apply the PyTorchJob CRD, start the operator
#   hack/operator.sh down    stop the operator this script started (the CRD stays)
#   hack/operator.sh status  its PID and whether the PyTorchJob controller runs
#
# The operator runs outside the cluster, so the kubelet cannot mount its webhook certificate
# Secret: the operator generates the certificate into that Secret and this script copies it to
# the directory the operator waits on. No webhook configuration is registered, so the API
# server never calls the webhook; PyTorchJobs are checked by their CRD's schema only.
set -euo pipefail
set +m

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=training-operator
ADDON_MODULE="$ROOT/hack/operators"
ADDON_PATH=github.com/kubeflow/training-operator
ADDON_PKG=github.com/kubeflow/training-operator/cmd/training-operator.v1
# shellcheck source=hack/lib/addon.sh
. "$ROOT/hack/lib/addon.sh"

# The operator's certificate directory is fixed in its code.
CERT_DIR=/tmp/k8s-webhook-server/serving-certs
OPERATOR_NS=kubeflow
SECRET=training-operator-webhook-cert
PROBE_ADDR="127.0.0.1:${OPERATOR_PROBE_PORT:-18081}"

kubectl_bin() {
  local dirs
  dirs="$("$ROOT/hack/build-k8s.sh" --print-dirs)"
  echo "${dirs% *}/kubectl"
}
kc() { "$(kubectl_bin)" --kubeconfig "$C/admin.kubeconfig" --request-timeout=20s "$@"; }

cmd_up() {
  [ -f "$C/admin.kubeconfig" ] || die "the local cluster is not set up; run make cluster-up first"
  build
  if pid_of >/dev/null; then
    log "already running (pid $(pid_of))"
    return 0
  fi
  kc apply --server-side -f "$(module_dir)/manifests/base/crds/kubeflow.org_pytorchjobs.yaml" >/dev/null
  # kubectl wait fails, rather than waits, on a CRD whose status has no conditions yet.
  local i=0
  until [ "$(kc get crd pytorchjobs.kubeflow.org -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || die "the PyTorchJob CRD was not established within 60s"
    sleep 0.2
  done
  kc create namespace "$OPERATOR_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
  # The operator fills an existing Secret; it does not create one.
  kc -n "$OPERATOR_NS" create secret generic "$SECRET" --dry-run=client -o yaml | kc apply -f - >/dev/null
  rm -rf "$CERT_DIR"
  mkdir -p "$CERT_DIR" "$LOGS" "$PIDS"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$NAME" >>"$LOGS/$NAME.log"
  local from
  from=$(($(wc -l <"$LOGS/$NAME.log") + 1))
  MY_POD_NAMESPACE="$OPERATOR_NS" setsid "$(binary)" \
    --kubeconfig="$C/admin.kubeconfig" \
    --enable-scheme=pytorchjob \
    --metrics-bind-address=0 \
    --health-probe-bind-address="$PROBE_ADDR" \
    >>"$LOGS/$NAME.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDS/$NAME.pid"
  log "started $NAME (pid $pid, log $LOGS/$NAME.log)"
  local crt=""
  i=0
  until [ -s "$CERT_DIR/tls.crt" ]; do
    # By PID only: for its first moments the process is still setsid, not the operator.
    [ -d "/proc/$pid" ] || { tail -n 20 "$LOGS/$NAME.log" >&2; die "$NAME exited while starting"; }
    crt="$(kc -n "$OPERATOR_NS" get secret "$SECRET" -o jsonpath='{.data.tls\.crt}' 2>/dev/null || true)"
    if [ -n "$crt" ]; then
      kc -n "$OPERATOR_NS" get secret "$SECRET" -o jsonpath='{.data.tls\.key}' | base64 -d >"$CERT_DIR/tls.key"
      echo "$crt" | base64 -d >"$CERT_DIR/tls.crt.tmp"
      mv "$CERT_DIR/tls.crt.tmp" "$CERT_DIR/tls.crt"
      break
    fi
    i=$((i + 1)); [ "$i" -lt 300 ] || die "$NAME wrote no certificate within 60s; see $LOGS/$NAME.log"
    sleep 0.2
  done
  i=0
  until tail -n "+$from" "$LOGS/$NAME.log" | grep -q 'Starting workers.*pytorchjob'; do
    # By PID only: for its first moments the process is still setsid, not the operator.
    [ -d "/proc/$pid" ] || { tail -n 20 "$LOGS/$NAME.log" >&2; die "$NAME exited while starting"; }
    i=$((i + 1)); [ "$i" -lt 600 ] || die "$NAME did not start its PyTorchJob controller within 120s; see $LOGS/$NAME.log"
    sleep 0.2
  done
  log "$NAME is running its PyTorchJob controller"
}

cmd_status() {
  if pid_of >/dev/null; then echo "$NAME: running (pid $(pid_of))"; else echo "$NAME: not running"; fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  build) build ;;
  *) echo "usage: $0 up | down | status | build" >&2; exit 2 ;;
esac
