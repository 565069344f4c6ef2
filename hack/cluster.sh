#!/usr/bin/env bash
# The project's own single-node Kubernetes cluster: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and a containerd of its own, all as plain
# processes of this machine with every file under .cluster/ of the checkout.
#
#   hack/cluster.sh up             start (builds the pinned binaries on first use); no-op if up
#                                  KUBE_VERSION=vX.Y.Z picks another pinned version (hack/k8s-v*)
#   hack/cluster.sh down [--wipe]  stop exactly what `up` started; --wipe also deletes the state
#   hack/cluster.sh status         each component's PID, alive or dead, and the node's state
#
# Needs root (kubelet and containerd manage mounts, cgroups and network namespaces).
set -euo pipefail
# Without job control a background child is not a process-group leader, so setsid execs in
# place and $! is the component's own PID.
set +m

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
C="$ROOT/.cluster"
PKI="$C/pki"
LOGS="$C/logs"
PIDS="$C/pids"
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
GO="${GO:-go}"

# Loopback ports. A second cluster (another checkout) can run beside the first with
# CLUSTER_PORT_OFFSET, CLUSTER_BRIDGE and CLUSTER_POD_CIDR set; the kubeconfigs carry the port.
OFF="${CLUSTER_PORT_OFFSET:-0}"
APISERVER_PORT=$((6443 + OFF))
ETCD_CLIENT_PORT=$((2379 + OFF))
ETCD_PEER_PORT=$((2380 + OFF))
KCM_PORT=$((10257 + OFF))
SCHED_PORT=$((10259 + OFF))
KUBELET_PORT=$((10250 + OFF))
KUBELET_HEALTHZ_PORT=$((10248 + OFF))
SERVICE_CIDR=10.0.0.0/24
SERVICE_IP=10.0.0.1
POD_CIDR="${CLUSTER_POD_CIDR:-10.88.0.0/16}"
BRIDGE="${CLUSTER_BRIDGE:-cni0}"
# Each kubelet removes pod cgroups it does not know under its root, so two clusters must never
# share one.
CGROUP_ROOT=/
[ "$OFF" = 0 ] || CGROUP_ROOT="/kubectl-katib-$OFF"
NODE=localhost
PAUSE_IMAGE=localhost/kubectl-katib/pause:v1
RESTRICTED_NS=katib-restricted
RESTRICTED_USER=katib-user
SOCK="$C/containerd/containerd.sock"
# Start order; `down` walks it backwards so the API server goes before etcd (it can take
# 30 s+ to exit once etcd is gone) and the kubelet goes before containerd.
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet)
UP_TIMEOUT="${CLUSTER_UP_TIMEOUT:-180}"

log() { printf '%s cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

bin_dirs() {
  local dirs
  dirs="$("$ROOT/hack/build-k8s.sh" --print-dirs)"
  K8S_BIN="${dirs% *}"
  ETCD_BIN="${dirs#* }"
}

binary_of() {
  case "$1" in
    containerd) command -v containerd ;;
    etcd) echo "$ETCD_BIN/etcd" ;;
    *) echo "$K8S_BIN/$1" ;;
  esac
}

# pid_of prints the recorded PID of a component when that process is still the component
# (its executable matches), so a recycled PID is never mistaken for it or signalled.
pid_of() {
  local f="$PIDS/$1.pid" pid exe
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  exe="${exe% (deleted)}"
  [ "$(basename "$exe")" = "$1" ] || return 1
  echo "$pid"
}

kc() { "$K8S_BIN/kubectl" --kubeconfig "$C/admin.kubeconfig" --request-timeout=10s "$@"; }

readyz() { kc get --raw /readyz >/dev/null 2>&1; }

all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null || return 1; done
}

# ---------------------------------------------------------------------------------------------
# Pre-flight

check_root() {
  [ "$(id -u)" = 0 ] || die "the local cluster must run as root (kubelet and containerd manage mounts, cgroups and network namespaces)"
}

check_tools() {
  local t missing=()
  for t in containerd containerd-shim-runc-v2 runc ctr openssl curl ip ss setsid; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || missing+=("/usr/lib/cni/{bridge,host-local,loopback}")
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}; run hack/deps.sh (installs Debian's containerd, runc, containernetworking-plugins ...)"
  [ "${#SOCK}" -lt 100 ] || die "checkout path too long: the containerd socket $SOCK must stay under 100 characters (a unix socket limit)"
}

# Fails clearly when a port a component needs is taken; called only before starting that
# component, so whatever holds the port is not ours.
check_ports() { # component ports...
  local name="$1" p line busy=()
  shift
  for p in "$@"; do
    line="$(ss -Hltnp "sport = :$p" 2>/dev/null | head -n1 || true)"
    [ -n "$line" ] || continue
    busy+=("127.0.0.1:$p held by ${line##* }")
  done
  [ ${#busy[@]} -eq 0 ] || die "cannot start $name: ${busy[*]}, which this cluster did not start. Stop that process (for another checkout's cluster: its own 'hack/cluster.sh down'), or run this cluster with CLUSTER_PORT_OFFSET=<n>, then retry."
}

# Checks every port up front, so a busy port fails the start before anything was started.
check_ports_of_missing() {
  pid_of etcd >/dev/null || check_ports etcd "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT"
  pid_of kube-apiserver >/dev/null || check_ports kube-apiserver "$APISERVER_PORT"
  pid_of kube-controller-manager >/dev/null || check_ports kube-controller-manager "$KCM_PORT"
  pid_of kube-scheduler >/dev/null || check_ports kube-scheduler "$SCHED_PORT"
  pid_of kubelet >/dev/null || check_ports kubelet "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT"
}

cgroup_v2() { [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; }

# Removes a cgroup root of this cluster's own (CLUSTER_PORT_OFFSET) once no process is in it;
# rmdir only ever succeeds on empty cgroups.
remove_cgroup_root() {
  [ "$CGROUP_ROOT" != / ] || return 0
  local d
  for d in /sys/fs/cgroup$CGROUP_ROOT /sys/fs/cgroup/*$CGROUP_ROOT; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# The kubelet refuses a cgroupRoot that does not exist in every hierarchy.
ensure_cgroup_root() {
  [ "$CGROUP_ROOT" != / ] || return 0
  local h
  if cgroup_v2; then
    mkdir -p "/sys/fs/cgroup$CGROUP_ROOT"
  else
    for h in /sys/fs/cgroup/*/; do
      [ "$(stat -fc %T "$h" 2>/dev/null)" = cgroupfs ] && mkdir -p "$h${CGROUP_ROOT#/}" 2>/dev/null || true
    done
  fi
}

# ---------------------------------------------------------------------------------------------
# Certificates, keys, tokens and kubeconfigs (created once, kept across restarts)

gen_pki() {
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    if [ ! -f ca.crt ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
        -subj "/CN=kubectl-katib-local-ca" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    fi
    if [ ! -f apiserver.crt ]; then
      openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
      printf '%s\n' "subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP" \
        "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" >apiserver.ext
      openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt \
        -days 3650 -extfile apiserver.ext 2>/dev/null
      rm -f apiserver.csr apiserver.ext
    fi
    # The kubelet serves logs and exec on 127.0.0.1 under the name "localhost"; a certificate
    # from the cluster CA lets the API server verify it instead of skipping verification.
    if [ ! -f kubelet.crt ]; then
      openssl req -newkey rsa:2048 -nodes -keyout kubelet.key -out kubelet.csr -subj "/CN=system:node:$NODE" 2>/dev/null
      printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
        "keyUsage=critical,digitalSignature,keyEncipherment" >kubelet.ext
      openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kubelet.crt \
        -days 3650 -extfile kubelet.ext 2>/dev/null
      rm -f kubelet.csr kubelet.ext
    fi
    if [ ! -f apiserver-kubelet-client.crt ]; then
      openssl req -newkey rsa:2048 -nodes -keyout apiserver-kubelet-client.key -out akc.csr \
        -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
      printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" >akc.ext
      openssl x509 -req -in akc.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out apiserver-kubelet-client.crt -days 3650 -extfile akc.ext 2>/dev/null
      rm -f akc.csr akc.ext
    fi
    # The aggregation layer's request-header authentication: without it the controller
    # manager and scheduler keep reporting a missing requestheader CA bundle.
    if [ ! -f front-proxy-ca.crt ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 3650 \
        -subj "/CN=kubectl-katib-front-proxy-ca" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    fi
    if [ ! -f front-proxy-client.crt ]; then
      openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out fpc.csr -subj "/CN=front-proxy-client" 2>/dev/null
      printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" >fpc.ext
      openssl x509 -req -in fpc.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial \
        -out front-proxy-client.crt -days 3650 -extfile fpc.ext 2>/dev/null
      rm -f fpc.csr fpc.ext
    fi
    if [ ! -f sa.key ]; then
      openssl genrsa -out sa.key 2048 2>/dev/null
      openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    fi
    if [ ! -f tokens.csv ]; then
      # token,user,uid,"groups"
      {
        echo "$(openssl rand -hex 24),admin,admin,\"system:masters\""
        echo "$(openssl rand -hex 24),system:kube-controller-manager,system:kube-controller-manager"
        echo "$(openssl rand -hex 24),system:kube-scheduler,system:kube-scheduler"
        echo "$(openssl rand -hex 24),system:node:$NODE,system:node:$NODE,\"system:nodes\""
        echo "$(openssl rand -hex 24),$RESTRICTED_USER,$RESTRICTED_USER"
      } >tokens.csv
    fi
  )
}

token_of() { awk -F, -v u="$1" '$2 == u { print $1 }' "$PKI/tokens.csv"; }

write_kubeconfig() { # file user namespace
  local ca
  ca="$(base64 -w0 <"$PKI/ca.crt")"
  # The file holds a token: private to its owner. (Not umask: this shell starts every
  # component, and a 077 umask would make containerd's image layers unreadable to non-root
  # containers.)
  : >"$1.tmp"
  chmod 600 "$1.tmp"
  cat >>"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: katib-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $ca
users:
- name: $2
  user:
    token: $(token_of "$2")
contexts:
- name: $2@katib-local
  context:
    cluster: katib-local
    user: $2
    namespace: $3
current-context: $2@katib-local
EOF
  mv "$1.tmp" "$1"
}

gen_kubeconfigs() {
  write_kubeconfig "$C/admin.kubeconfig" admin default
  write_kubeconfig "$C/restricted.kubeconfig" "$RESTRICTED_USER" "$RESTRICTED_NS"
  write_kubeconfig "$C/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-system
  write_kubeconfig "$C/kube-scheduler.kubeconfig" system:kube-scheduler kube-system
  write_kubeconfig "$C/kubelet.kubeconfig" "system:node:$NODE" default
}

# ---------------------------------------------------------------------------------------------
# Configuration files (rewritten on every up so edits to this script take effect)

write_configs() {
  mkdir -p "$C/containerd" "$C/cni/net.d" "$C/cni/ipam" "$C/kubelet" "$C/pod-logs" "$C/etcd" "$C/bin"
  chmod 700 "$C/etcd"
  cat >"$C/containerd/config.toml" <<EOF
version = 2
root = "$C/containerd/root"
state = "$C/containerd/state"
oom_score = 0

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$C/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # runc cannot write a negative oom_score_adj on these machines, which makes every
  # sandbox fail with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$C/cni/net.d"
    max_conf_num = 1
EOF

  # ipMasq is off: pods must not reach anything beyond this machine's loopback and their
  # own network namespaces.
  cat >"$C/cni/net.d/10-katib-local.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "katib-local",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$C/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    }
  ]
}
EOF

  local failv1=false
  cgroup_v2 && failv1=true
  ensure_cgroup_root
  cat >"$C/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: AlwaysAllow
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
# Kubernetes 1.35+ refuses cgroup v1 unless told otherwise; true on cgroup v2 hosts.
failCgroupV1: $failv1
failSwapOn: false
podLogsDir: $C/pod-logs
# A test cluster on a shared disk: never evict pods or collect images for lack of space.
evictionHard: {}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
maxPods: 110
syncFrequency: 10s
fileCheckFrequency: 20s
nodeStatusReportFrequency: 1m
EOF

  # Metadata for every request (tests count requests by user agent), minus the components'
  # own lease renewals and health probes, which would otherwise dominate the file.
  cat >"$C/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  verbs: ["get", "update"]
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
  userGroups: ["system:nodes"]
- level: None
  verbs: ["get", "update"]
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
  users: ["system:kube-controller-manager", "system:kube-scheduler"]
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: Metadata
EOF
}

# ---------------------------------------------------------------------------------------------
# Leftovers of an earlier run (crash, reboot, killed CI job): clean what is ours, refuse the rest

kubelet_root() { echo "$C/kubelet/root"; }

unmount_under() { # dir: unmounts everything at or below dir, deepest first
  local dir="$1" m
  [ -d "$dir" ] || return 0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | uniq)
}

# The CRI makes one network namespace per pod sandbox and removes it only when the kubelet
# stops the sandbox. record_netns lists this cluster's ones in .cluster/netns.list (from
# containerd's metadata); this deletes them once their pods' containers are gone.
cleanup_netns() {
  local f="$C/netns.list" ns
  [ -f "$f" ] || return 0
  while read -r ns; do
    [ -n "$ns" ] || continue
    if [ -e "$ns" ]; then
      umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
      rm -f "$ns"
    fi
  done <"$f"
  rm -f "$f"
}

remove_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || return 0
  # Only a bridge carrying this cluster's gateway address is ours to delete.
  if grep -q "inet ${POD_CIDR%.*/*}.1/" <<<"$(ip -4 addr show dev "$BRIDGE")"; then
    ip link delete "$BRIDGE" type bridge 2>/dev/null || ip link delete "$BRIDGE" || true
  else
    die "a network bridge $BRIDGE exists that does not carry this cluster's pod network $POD_CIDR; it belongs to something else. Remove it or stop its owner, then retry."
  fi
}

# Runs with containerd up (it knows the sandboxes and their network namespaces) and nothing
# else of the cluster running.
clean_leftovers() {
  stop_pod_containers
  unmount_under "$C/kubelet"
  unmount_under "$C/containerd"
  cleanup_netns
  remove_bridge
  # IP allocations of pods that no longer exist would otherwise leak addresses.
  rm -rf "$C/cni/ipam"
  mkdir -p "$C/cni/ipam"
}

# ---------------------------------------------------------------------------------------------
# Processes

start() { # name args...: starts a component in its own session, logging to logs/<name>.log
  local name="$1" pid
  shift
  mkdir -p "$LOGS" "$PIDS"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$name" >>"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  log "started $name (pid $pid, log $LOGS/$name.log)"
}

wait_for() { # name timeout check...: waits until check succeeds or the component dies
  local name="$1" timeout="$2" i=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      tail -n 15 "$LOGS/$name.log" >&2 || true
      die "$name exited while starting; see $LOGS/$name.log"
    fi
    i=$((i + 1))
    if [ "$i" -gt $((timeout * 5)) ]; then
      tail -n 15 "$LOGS/$name.log" >&2 || true
      die "$name did not become ready within ${timeout}s; see $LOGS/$name.log"
    fi
    sleep 0.2
  done
}

start_containerd() {
  pid_of containerd >/dev/null && return 0
  # A killed kubelet leaves its root dir bind-mounted on itself; containerd's sandbox /dev/shm
  # mounts stay when pods were not stopped through the CRI.
  unmount_under "$C/kubelet"
  unmount_under "$C/containerd"
  mkdir -p "$C/containerd/root" "$C/containerd/state"
  start containerd containerd --config "$C/containerd/config.toml"
  wait_for containerd 30 ctr --address "$SOCK" version
}

start_etcd() {
  pid_of etcd >/dev/null && return 0
  check_ports etcd "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT"
  start etcd "$ETCD_BIN/etcd" --name local --data-dir "$C/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --log-level warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
}

start_apiserver() {
  pid_of kube-apiserver >/dev/null && return 0
  check_ports kube-apiserver "$APISERVER_PORT"
  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --token-auth-file="$PKI/tokens.csv" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --kubelet-preferred-address-types=Hostname,InternalIP \
    --endpoint-reconciler-type=none \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --audit-policy-file="$C/audit-policy.yaml" --audit-log-path="$LOGS/audit.log" \
    --audit-log-format=json --audit-log-maxsize=200 --audit-log-maxbackup=2
  wait_for kube-apiserver 90 readyz
}

start_controller_manager() {
  pid_of kube-controller-manager >/dev/null && return 0
  check_ports kube-controller-manager "$KCM_PORT"
  local kcfg="$C/kube-controller-manager.kubeconfig"
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$kcfg" --authentication-kubeconfig="$kcfg" --authorization-kubeconfig="$kcfg" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range="$SERVICE_CIDR"
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
}

start_scheduler() {
  pid_of kube-scheduler >/dev/null && return 0
  check_ports kube-scheduler "$SCHED_PORT"
  local kcfg="$C/kube-scheduler.kubeconfig"
  start kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$kcfg" --authentication-kubeconfig="$kcfg" --authorization-kubeconfig="$kcfg" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT"
  wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
}

start_kubelet() {
  pid_of kubelet >/dev/null && return 0
  check_ports kubelet "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT"
  mkdir -p "$(kubelet_root)"
  start kubelet "$K8S_BIN/kubelet" --config="$C/kubelet/config.yaml" \
    --kubeconfig="$C/kubelet.kubeconfig" --hostname-override="$NODE" \
    --root-dir="$(kubelet_root)" --cert-dir="$C/kubelet/pki"
  wait_for kubelet 60 curl -fsS "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
}

# Imports the pause image the sandbox needs when it is missing; hack/images.sh can replace it
# with its own build of the same reference.
ensure_pause_image() {
  local images
  images="$(ctr --address "$SOCK" -n k8s.io images ls -q)"
  if grep -qxF "$PAUSE_IMAGE" <<<"$images"; then return 0; fi
  log "building and importing $PAUSE_IMAGE"
  local dir="$C/images"
  mkdir -p "$dir"
  (cd "$ROOT" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$dir/pause" ./hack/pause &&
    "$GO" run ./hack/pause/image -ref "$PAUSE_IMAGE" -bin "$dir/pause" -out "$dir/pause.tar") ||
    die "building the pause image failed"
  ctr --address "$SOCK" -n k8s.io images import "$dir/pause.tar" >/dev/null ||
    die "importing $dir/pause.tar into containerd failed; see $LOGS/containerd.log"
}

# Records the network namespaces of this cluster's sandboxes, so `down` and the next `up` can
# remove exactly those after a crash.
record_netns() {
  [ -S "$SOCK" ] || return 0
  local id
  {
    [ -f "$C/netns.list" ] && cat "$C/netns.list"
    for id in $(ctr --address "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n k8s.io containers info "$id" 2>/dev/null |
        grep -o '"/var/run/netns/cni-[^"]*"\|"/run/netns/cni-[^"]*"' | tr -d '"' || true
    done
  } | sort -u >"$C/netns.list.tmp"
  mv "$C/netns.list.tmp" "$C/netns.list"
}

apply_rbac() {
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $RESTRICTED_NS
---
# What kubectl katib needs in its own namespace, and nothing else (README, "Minimal
# permissions"): the end-to-end tests run whole experiments as this user.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: katib-runner
  namespace: $RESTRICTED_NS
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "create", "update", "delete", "deletecollection"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "delete", "deletecollection"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete", "deletecollection"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: katib-runner
  namespace: $RESTRICTED_NS
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: katib-runner
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: $RESTRICTED_USER
EOF
}

wait_node_ready() {
  local i=0
  until [ "$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do
    pid_of kubelet >/dev/null || die "kubelet exited before the node became Ready; see $LOGS/kubelet.log"
    i=$((i + 1))
    [ "$i" -le $((UP_TIMEOUT * 2)) ] || die "node $NODE not Ready after ${UP_TIMEOUT}s; see $LOGS/kubelet.log and $LOGS/containerd.log"
    sleep 0.5
  done
  i=0
  until kc -n default get serviceaccount default >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le $((UP_TIMEOUT * 2)) ] || die "ServiceAccount default/default missing after ${UP_TIMEOUT}s; see $LOGS/kube-controller-manager.log"
    sleep 0.5
  done
}

cmd_up() {
  check_root
  check_tools
  mkdir -p "$C" "$LOGS" "$PIDS"
  "$ROOT/hack/build-k8s.sh"
  bin_dirs
  # etcd's data cannot move between Kubernetes versions here (no downgrade path): a state
  # made by another version has to be wiped first.
  local version made
  version="$(basename "$K8S_BIN")"
  version="${version#k8s-}"
  made="$(cat "$C/kube-version" 2>/dev/null || true)"
  if [ -n "$made" ] && [ "$made" != "$version" ] && [ -n "$(ls -A "$C/etcd" 2>/dev/null)" ]; then
    die "the cluster state in $C was made by Kubernetes $made; to run $version, stop and wipe it first (make cluster-wipe)"
  fi
  echo "$version" >"$C/kube-version"
  mkdir -p "$C/bin"
  ln -sfn "$K8S_BIN/kubectl" "$C/bin/kubectl"

  if all_alive && readyz; then
    log "already up"
    echo "export KUBECONFIG=$C/admin.kubeconfig"
    return 0
  fi

  # When nothing of the cluster but (at most) containerd runs, whatever an earlier run left
  # behind (pod containers, mounts, network namespaces, the bridge) is cleaned first; when
  # more of it runs, only the missing parts are started.
  local c others=false
  for c in "${COMPONENTS[@]}"; do
    [ "$c" = containerd ] && continue
    pid_of "$c" >/dev/null && others=true
  done
  check_ports_of_missing
  gen_pki
  gen_kubeconfigs
  write_configs

  start_containerd
  $others || clean_leftovers
  ensure_pause_image
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  start_kubelet
  wait_node_ready
  apply_rbac
  record_netns
  log "up: node $NODE Ready ($("$K8S_BIN/kubectl" version --kubeconfig "$C/admin.kubeconfig" -o json 2>/dev/null | grep -o '"gitVersion": *"[^"]*"' | tail -n1 | cut -d'"' -f4))"
  echo "export KUBECONFIG=$C/admin.kubeconfig"
}

stop_pids() { # grace-seconds name...: SIGTERM together, then SIGKILL after the grace period
  local grace="$1" name pid i left
  shift
  local -A pids=()
  for name in "$@"; do
    if pid="$(pid_of "$name")"; then
      pids[$name]="$pid"
      kill -TERM "$pid" 2>/dev/null || true
    else
      rm -f "$PIDS/$name.pid"
    fi
  done
  for i in $(seq 1 $((grace * 10))); do
    left=false
    for name in "${!pids[@]}"; do [ -d "/proc/${pids[$name]}" ] && left=true; done
    $left || break
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    pid="${pids[$name]}"
    if [ -d "/proc/$pid" ]; then
      log "$name (pid $pid) did not stop within ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do sleep 0.1; done
    fi
    rm -f "$PIDS/$name.pid"
    log "stopped $name (pid $pid)"
  done
}

# Pod containers outlive containerd (their shims are separate processes), so they are
# stopped through containerd's API while it still runs.
stop_pod_containers() {
  pid_of containerd >/dev/null || return 0
  record_netns
  local ctl=(ctr --address "$SOCK" -n k8s.io) id jobs=()
  for id in $("${ctl[@]}" tasks ls -q 2>/dev/null); do
    # delete --force kills the task and waits for it, one background job per container.
    "${ctl[@]}" tasks delete --force "$id" >/dev/null 2>&1 &
    jobs+=($!)
  done
  # Only these jobs: a bare `wait` would also wait for containerd started by this script.
  [ ${#jobs[@]} -eq 0 ] || wait "${jobs[@]}" || true
}

cmd_down() {
  local wipe=false
  [ "${1:-}" = --wipe ] && wipe=true
  check_root
  [ -d "$C" ] || { log "nothing to stop"; return 0; }
  bin_dirs
  # Add-ons that run beside the cluster go first: they only talk to the API server.
  "$ROOT/hack/operator.sh" down
  "$ROOT/hack/kwok.sh" down
  stop_pids 20 kubelet kube-scheduler kube-controller-manager
  # Open watches keep the API server draining for a long time; its state is in etcd.
  stop_pids 5 kube-apiserver
  stop_pids 20 etcd
  if pid_of containerd >/dev/null; then
    clean_leftovers
  fi
  stop_pids 20 containerd
  unmount_under "$C/kubelet"
  unmount_under "$C/containerd"
  cleanup_netns
  remove_bridge
  remove_cgroup_root
  if $wipe; then
    rm -rf "$C"
    log "wiped $C"
  fi
}

cmd_status() {
  local c pid state rc=0
  bin_dirs
  for c in "${COMPONENTS[@]}"; do
    if pid="$(pid_of "$c")"; then
      state="alive"
    else
      pid="$(cat "$PIDS/$c.pid" 2>/dev/null || echo -)"
      state="dead"
      rc=1
    fi
    printf '%-24s pid %-8s %s\n' "$c" "$pid" "$state"
  done
  if readyz; then
    kc get node "$NODE" -o wide 2>/dev/null || { echo "node $NODE: not registered"; rc=1; }
    echo "export KUBECONFIG=$C/admin.kubeconfig"
  else
    echo "kube-apiserver: not answering /readyz"
    rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  *) echo "usage: $0 up | down [--wipe] | status" >&2; exit 2 ;;
esac
