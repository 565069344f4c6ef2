# Shared by the scripts that run a pinned program beside the local cluster (hack/operator.sh,
# hack/kwok.sh): building it from its wrapper module into .cache/bin, and knowing and stopping
# the process they started. The sourcing script sets ROOT, NAME (the binary's and PID file's
# name), ADDON_MODULE (the wrapper module's directory), ADDON_PATH (the module whose version
# pins it) and ADDON_PKG (the package to build).

C="$ROOT/.cluster"
LOGS="$C/logs"
PIDS="$C/pids"
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go

log() { printf '%s %s: %s\n' "$(date +%H:%M:%S)" "$NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

version() { (cd "$ADDON_MODULE" && "$GO" list -m -f '{{.Version}}' "$ADDON_PATH"); }
module_dir() { (cd "$ADDON_MODULE" && "$GO" list -m -f '{{.Dir}}' "$ADDON_PATH"); }
binary() { echo "$ROOT/.cache/bin/$NAME-$(version)/$NAME"; }

build() {
  local bin
  bin="$(binary)"
  [ -x "$bin" ] && return 0
  log "building $NAME $(version) (first build takes a few minutes)"
  mkdir -p "$(dirname "$bin")"
  (cd "$ADDON_MODULE" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$bin.tmp" "$ADDON_PKG")
  mv "$bin.tmp" "$bin"
}

# pid_of prints the recorded PID while that process is still the add-on.
pid_of() {
  local f="$PIDS/$NAME.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" = "$(binary)" ] || return 1
  echo "$pid"
}

cmd_down() {
  local pid i
  pid="$(pid_of || true)"
  [ -n "$pid" ] || { rm -f "$PIDS/$NAME.pid"; return 0; }
  kill "$pid"
  for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
  [ -d "/proc/$pid" ] && kill -9 "$pid"
  rm -f "$PIDS/$NAME.pid"
  log "stopped $NAME (pid $pid)"
}
