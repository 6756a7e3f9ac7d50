#!/usr/bin/env bash
# waybill-logd: lines/s ingested (peer: COPY), CPU per 1,000 deliveries, and milter+Postfix
# throughput with the reader on against off: see bench/logd_bench.py.
#   bench/logd_bench.sh [BUILD_DIR] [LOG_MESSAGES] [SMTP_MESSAGES] [ROUNDS]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
WAYBILL_BIN_DIR="$build/bin" exec /usr/bin/python3 bench/logd_bench.py "${2:-100000}" "${3:-1000}" "${4:-3}"
