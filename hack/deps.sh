#!/usr/bin/env bash
# Installs the Debian packages the local cluster needs when they are missing (idempotent).
# `hack/deps.sh analysis` installs instead what the tests of the analysis need: Debian's
# Optuna and scikit-learn (the reference the importance and export tests compare with; they
# import only under /usr/bin/python3) and Chromium (the report's screenshot test).
set -euo pipefail
need=()
if [ "${1:-}" = analysis ]; then
  /usr/bin/python3 -c 'import optuna, sklearn' 2>/dev/null || need+=(python3-optuna python3-sklearn)
  command -v chromium >/dev/null || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  exit 0
fi
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
command -v setsid >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
