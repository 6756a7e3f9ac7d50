#!/usr/bin/env bash
# Messages/s through waybill-apid (8 keep-alive clients, one recipient, 5 KB HTML) into Postfix +
# waybill-milter, against the same messages by SMTP directly, in the same run; request latency
# p50/p99; the time of one 500-message batch: see bench/api_bench.py.
#   bench/api_bench.sh [BUILD_DIR] [MESSAGES] [ROUNDS]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
WAYBILL_BIN_DIR="$(cd "$build" && pwd)/bin" exec /usr/bin/python3 bench/api_bench.py "${2:-400}" "${3:-3}"
