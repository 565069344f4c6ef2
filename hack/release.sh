#!/usr/bin/env bash
# Builds a release of both plugins: cross-compiled binaries with the version stamped in, one
# .tar.gz per plugin and platform (binary + LICENSE, which krew's validator insists on),
# sha256 sums, and krew manifests filled from krew-manifests/templates/.
#
#   VERSION=v0.1.0 hack/release.sh          (what `make release VERSION=v0.1.0` runs)
#
# Environment (all optional except VERSION):
#   PLATFORMS     os/arch pairs to build            (default: linux, darwin, windows x amd64, arm64)
#   DIST          where archives and sums go        (default: dist)
#   BASE_URL      where the archives will be served (default: the GitHub release of VERSION)
#   HOMEPAGE      the manifests' homepage
#   MANIFEST_DIR  where katib.yaml and arch.yaml go (default: krew-manifests); a copy also goes
#                 to DIST so they can be uploaded next to the archives for --manifest-url.
#   SOURCE        head (default): build the committed tree of HEAD, exported with git archive, so
#                 a release is exactly one commit and uncommitted work in progress stays out;
#                 worktree: build the working tree as it is (its commit is stamped "-dirty").
#   COMMIT, BUILDDATE  stamped into the binaries (default: HEAD and HEAD's commit time, so the
#                 same commit gives the same archives).
set -euo pipefail

cd "$(dirname "$0")/.."

: "${VERSION:?set VERSION, e.g. make release VERSION=v0.1.0}"
# krew compares versions as semver and requires the leading v.
if ! [[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  echo "VERSION=$VERSION is not a semantic version like v1.2.3 (krew needs one)" >&2
  exit 2
fi

GO=${GO:-go}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
DIST=${DIST:-dist}
HOMEPAGE=${HOMEPAGE:-https://github.com/kubectl-katib/plugins}
BASE_URL=${BASE_URL:-https://github.com/kubectl-katib/plugins/releases/download/$VERSION}
BASE_URL=${BASE_URL%/}
MANIFEST_DIR=${MANIFEST_DIR:-krew-manifests}
SOURCE=${SOURCE:-head}
if [[ -z ${COMMIT:-} ]]; then
  COMMIT=$(git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
  if [[ $SOURCE == worktree && -n $(git status --porcelain 2>/dev/null) ]]; then COMMIT+=-dirty; fi
fi
if [[ -z ${BUILDDATE:-} ]]; then
  BUILDDATE=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true)
  BUILDDATE=${BUILDDATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
fi
# Archive entries carry the build date as their mtime, so archives are byte-for-byte repeatable.
mtime=$(date -u -d "$BUILDDATE" +%s)

pkg=github.com/kubectl-katib/plugins
ldflags="-s -w -X $pkg/pkg/buildinfo.Version=$VERSION -X $pkg/pkg/buildinfo.GitCommit=$COMMIT -X $pkg/pkg/buildinfo.BuildDate=$BUILDDATE"
plugins=(katib arch)

mkdir -p "$DIST" "$MANIFEST_DIR"
DIST=$(cd "$DIST" && pwd)
MANIFEST_DIR=$(cd "$MANIFEST_DIR" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $SOURCE in
  head)
    src="$work/src"
    mkdir -p "$src"
    git archive --format=tar HEAD | tar -x -C "$src"
    if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
      echo "building commit ${COMMIT:0:12}; uncommitted changes are not included (SOURCE=worktree builds them)"
    fi
    ;;
  worktree) src=$PWD ;;
  *) echo "SOURCE must be head or worktree, not $SOURCE" >&2; exit 2 ;;
esac

archives=()
for platform in $PLATFORMS; do
  os=${platform%/*} arch=${platform#*/}
  ext=""; [[ $os == windows ]] && ext=.exe
  echo "building $VERSION for $os/$arch"
  out="$work/$os-$arch"
  mkdir -p "$out"
  (cd "$src" && GOOS=$os GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$ldflags" -o "$out/" \
    ./cmd/kubectl-katib ./cmd/kubectl-arch)
  for p in "${plugins[@]}"; do
    stage="$work/stage-$p-$os-$arch"
    mkdir -p "$stage"
    cp "$out/kubectl-$p$ext" "$stage/"
    cp "$src/LICENSE" "$stage/LICENSE"
    chmod 0755 "$stage/kubectl-$p$ext"
    chmod 0644 "$stage/LICENSE"
    archive="kubectl-${p}_${VERSION}_${os}_${arch}.tar.gz"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
      -C "$stage" -cf - "kubectl-$p$ext" LICENSE | gzip -n -9 >"$DIST/$archive"
    archives+=("$archive")
  done
done

(cd "$DIST" && sha256sum "${archives[@]}") >"$DIST/checksums.txt"
echo "wrote ${#archives[@]} archives and checksums.txt into $DIST"

sum_of() { awk -v f="$1" '$2 == f { print $1 }' "$DIST/checksums.txt"; }

for p in "${plugins[@]}"; do
  block="$work/platforms-$p.yaml"
  : >"$block"
  for platform in $PLATFORMS; do
    os=${platform%/*} arch=${platform#*/}
    ext=""; [[ $os == windows ]] && ext=.exe
    archive="kubectl-${p}_${VERSION}_${os}_${arch}.tar.gz"
    # Both keys in every selector: each os/arch pair matches exactly one entry.
    cat >>"$block" <<EOF
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $BASE_URL/$archive
    sha256: $(sum_of "$archive")
    bin: kubectl-$p$ext
    files:
    - from: kubectl-$p$ext
      to: .
    - from: LICENSE
      to: .
EOF
  done
  manifest="$MANIFEST_DIR/$p.yaml"
  {
    echo "# Generated by hack/release.sh from templates/$p.yaml.in for $VERSION; do not edit by hand."
    awk -v version="$VERSION" -v homepage="$HOMEPAGE" -v block="$block" '
      NR == 1, /^apiVersion:/ { if ($0 !~ /^apiVersion:/) next }
      /^@PLATFORMS@$/ { while ((getline line < block) > 0) print line; next }
      { gsub(/@VERSION@/, version); gsub(/@HOMEPAGE@/, homepage); print }
    ' "$src/krew-manifests/templates/$p.yaml.in"
  } >"$manifest"
  if [[ $manifest != "$DIST/$p.yaml" ]]; then cp "$manifest" "$DIST/$p.yaml"; fi
  echo "wrote $manifest"
done
