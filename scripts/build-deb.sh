#!/usr/bin/env bash
# Builds the Debian package from a clean copy of the tree: packaging/debian becomes debian/.
# Output: ../waybill_VERSION_ARCH.deb next to the copy, moved to dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/waybill-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$work/" 2>/dev/null || rsync -a --exclude 'build*' ./ "$work/"
mkdir -p "$work/src"
( cd "$work" && mv $(ls -A | grep -v '^src$') src/ )
cp -r "$work/src/packaging/debian" "$work/src/debian"
( cd "$work/src" && dpkg-buildpackage -us -uc -b )
mkdir -p dist
mv "$work"/*.deb dist/
ls -l dist/*.deb
