#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build with warnings as errors,
# run the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, then every test
# (unit + integration against real PostgreSQL and Postfix on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

# The package tests' container root (debootstrap, mostly network and disk) is made while the
# builds below use the CPU; the tests wait for it (a lock) or make it themselves if this failed.
/usr/bin/python3 tests/support/systemd_container.py prepare >/tmp/waybill-container-root.log 2>&1 &

cmake -S . -B build-asan -G Ninja -DWAYBILL_WERROR=ON -DWAYBILL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L 'unit|asan' --output-on-failure -j "$jobs"

# libFuzzer targets (clang): replay each seed corpus, then fuzz each for 60 s.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DWAYBILL_FUZZ=ON -DWAYBILL_TESTS=OFF
cmake --build build-fuzz -j "$jobs" --target mime_rewriter_fuzz policy_request_fuzz trackd_request_fuzz dsn_report_fuzz pipe_request_fuzz bounce_records_fuzz delivery_log_line_fuzz api_message_fuzz
ctest --test-dir build-fuzz/tests/fuzz -L fuzz --output-on-failure -j "$jobs"

# Last, so ctest's closing summary is the last thing CI prints. This build compiles each file
# exactly as the Debian package's build does, through ccache: the package tests' builds of this
# commit (and of the previous one, mostly the same files) take their objects from the cache.
source scripts/package-flags.sh
cmake -S . -B build -G Ninja "${WAYBILL_PACKAGE_CMAKE_OPTIONS[@]}"
LC_ALL=C.UTF-8 cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
