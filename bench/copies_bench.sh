#!/usr/bin/env bash
# Deliveries/s with 1 and 10 recipients per message and SMTP accept latency p50/p99 through real
# Postfix: alone, + OpenDKIM, + waybill-milter (copies over the copy listener, and through
# sendmail as the peer), in the same run: see bench/copies_bench.py.
#   bench/copies_bench.sh [BUILD_DIR] [DELIVERIES] [ROUNDS] [LATENCY_TRANSACTIONS]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
WAYBILL_BIN_DIR="$build/bin" exec /usr/bin/python3 bench/copies_bench.py "${2:-600}" "${3:-3}" "${4:-200}"
