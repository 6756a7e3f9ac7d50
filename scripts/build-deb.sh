#!/usr/bin/env bash
# Builds the Debian package from the committed tree (git archive HEAD), with packaging/debian
# as debian/, in a fresh temporary directory (no build directory of the work tree is reused),
# and puts the .deb files into dist/ (or $WAYBILL_DEB_OUT).
# WAYBILL_DEB_JOBS: parallel compile jobs (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${WAYBILL_DEB_OUT:-dist}")
work=$(mktemp -d /tmp/waybill-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git archive HEAD | tar -x -C "$work/src"
cp -r "$work/src/packaging/debian" "$work/src/debian"
( cd "$work/src" && dpkg-buildpackage -us -uc -b -j"${WAYBILL_DEB_JOBS:-$(nproc)}" )
mkdir -p "$out"
mv "$work"/*.deb "$out"/
ls -l "$out"/*.deb
