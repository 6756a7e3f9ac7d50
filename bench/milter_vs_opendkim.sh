#!/usr/bin/env bash
# Postfix alone vs Postfix + waybill-milter (tracking, headers, VERP, rsa+ed25519 signing) vs
# Postfix + one OpenDKIM (rsa-sha256), same run: see bench/milter_vs_opendkim.py.
#   bench/milter_vs_opendkim.sh [BUILD_DIR] [COUNT] [ROUNDS]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
WAYBILL_BIN_DIR="$build/bin" exec /usr/bin/python3 bench/milter_vs_opendkim.py "${2:-1000}" "${3:-3}"
