#!/usr/bin/env bash
# The demo, on loopback only: installs dependencies, builds, then starts a private PostgreSQL,
# a private Postfix relaying to a local sink and every Waybill daemon; sends a message, fetches its
# open pixel and click link, bounces it, and shows the events in SQL and at a webhook receiver.
# Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
/usr/bin/python3 scripts/demo.py --bin-dir build/bin
