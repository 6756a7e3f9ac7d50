#!/usr/bin/env bash
# Builds the Debian package from the committed tree (git archive HEAD), with packaging/debian
# as debian/, and puts the .deb into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/waybill-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git archive HEAD | tar -x -C "$work/src"
cp -r "$work/src/packaging/debian" "$work/src/debian"
( cd "$work/src" && dpkg-buildpackage -us -uc -b )
mkdir -p dist
mv "$work"/*.deb dist/
ls -l dist/*.deb
