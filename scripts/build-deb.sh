#!/usr/bin/env bash
# Builds the Debian package from a committed tree (git archive, HEAD by default), with
# packaging/debian as debian/, in a fresh temporary directory (no build directory of the work
# tree is reused), and puts the .deb files into dist/ (or $WAYBILL_DEB_OUT).
# WAYBILL_DEB_JOBS: parallel compile jobs (default: all cores).
# WAYBILL_DEB_REV: the commit to build (default HEAD). A commit other than HEAD is built as
#   version VERSION~gSHORTSHA, which sorts before VERSION, so installing HEAD's package over it
#   is an upgrade (the package tests upgrade from the previous commit's build).
# With ccache installed, compiles go through it (paths made relative to the temporary tree), so
# a second build of a nearby commit compiles only the files that differ, and a build of the work
# tree configured as scripts/package-flags.sh does fills the cache for the package's build.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${WAYBILL_DEB_REV:-HEAD}
commit=$(git rev-parse --verify --quiet "$rev^{commit}") || {
  echo "build-deb.sh: no commit '$rev' in this clone (a shallow clone lacks earlier commits)" >&2
  exit 66
}
out=$(realpath -m "${WAYBILL_DEB_OUT:-dist}")
work=$(mktemp -d /tmp/waybill-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git archive "$commit" | tar -x -C "$work/src"
cp -r "$work/src/packaging/debian" "$work/src/debian"
if [ "$commit" != "$(git rev-parse HEAD)" ]; then
  sed -i "1s/(\([^)]*\))/(\1~g$(git rev-parse --short=10 "$commit"))/" "$work/src/debian/changelog"
fi
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR="$work/src" CCACHE_NOHASHDIR=1
  # debhelper gives each build a fresh HOME: name the cache, or every build starts cold.
  export CCACHE_DIR="${CCACHE_DIR:-$(ccache -k cache_dir)}"
fi
( cd "$work/src" && dpkg-buildpackage -us -uc -b -j"${WAYBILL_DEB_JOBS:-$(nproc)}" )
mkdir -p "$out"
mv "$work"/*.deb "$out"/
ls -l "$out"/*.deb
