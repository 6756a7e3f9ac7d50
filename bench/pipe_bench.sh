#!/bin/sh
# waybill-pipe figures: median cost of one invocation (via waybill-piped --serve, one-shot,
# --classify-only, /bin/true), and Postfix handing it N bounces (default 2000) via the daemon and
# one-shot, against the same transport piping to /bin/cat. Needs root (private Postfix + PostgreSQL).
#   bench/pipe_bench.sh [BIN_DIR] [N]
set -e
here=$(dirname "$0")
exec /usr/bin/python3 "$here/pipe_bench.py" "${1:-$here/../build/bin}" "${2:-2000}"
