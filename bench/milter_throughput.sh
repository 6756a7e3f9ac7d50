#!/usr/bin/env bash
# Whole-message throughput through real Postfix, alone and with waybill-milter (tracking and
# database recording on), measured in the same run: see bench/milter_throughput.py.
#   bench/milter_throughput.sh [BUILD_DIR] [COUNT] [ROUNDS]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
WAYBILL_BIN_DIR="$build/bin" exec /usr/bin/python3 bench/milter_throughput.py "${2:-1000}" "${3:-3}"
