#!/bin/sh
# Bounce classification throughput, waybill-piped --classify-only against libsisimai-perl over
# every file in tests/corpora, same run (see dsn_classify_bench.py). Needs a build with
# -DWAYBILL_BENCH=ON (bench/dsn_classify_files) and libsisimai-perl.
#   bench/dsn_classify_bench.sh [BIN_DIR] [ROUNDS]
set -e
here=$(dirname "$0")
exec /usr/bin/python3 "$here/dsn_classify_bench.py" "${1:-$here/../build/bin}" "${2:-3}"
