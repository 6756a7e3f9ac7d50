#!/usr/bin/env bash
# Installs everything Waybill needs to build, test and demo on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Postfix asks for a mailer type; "No configuration" leaves /etc/postfix alone.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
# ccache: scripts/build-deb.sh compiles through it, so the package tests' second build (the previous
# commit, to upgrade from) compiles only the files that differ.
apt-get install -y -q --no-install-recommends \
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev \
  libmilter-dev libopendkim-dev libmstch-dev libboost-program-options-dev libboost-dev \
  libpq-dev libssl-dev nlohmann-json3-dev libsystemd-dev libfmt-dev libidn2-dev libcurl4-openssl-dev prometheus-cpp-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  postfix postgresql postgresql-contrib systemd \
  python3 python3-pytest python3-psycopg2 python3-dkim python3-dnspython python3-bs4 python3-html5lib \
  swaks miltertest opendkim opendkim-tools ca-certificates git \
  chromium python3-websocket debhelper lintian debootstrap systemd-container
# wrk: HTTP load against waybill-trackd in tests/integration/test_zero_downtime.py
apt-get install -y -q --no-install-recommends wrk
# libsisimai-perl: the independent second opinion for the held-out bounce corpora (scripts/sisimai-expected.pl)
# and the peer of bench/dsn_classify_bench.sh
apt-get install -y -q --no-install-recommends libsisimai-perl
# node + npm: the official Postmark and SendGrid client libraries (from npm) against waybill-apid in
# tests/integration/test_apid_clients.py; a machine that has node already (nodesource) keeps it.
command -v npm >/dev/null || apt-get install -y -q --no-install-recommends nodejs npm
