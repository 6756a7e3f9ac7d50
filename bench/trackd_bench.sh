#!/usr/bin/env bash
# trackd_bench.sh: waybill-trackd against nginx on this machine, one run, same wrk settings.
#
#   bench/trackd_bench.sh [BUILD_BIN_DIR]     (as root; default BUILD_BIN_DIR=build/bin)
#
# Starts a private PostgreSQL, migrates it, starts waybill-trackd, runs wrk against /o/TOKEN and
# /c/TOKEN (valid tokens), then the same wrk against nginx serving the same 43-byte GIF and a
# `return 302`. Prints requests/s and p99 latency of each and the ratio trackd/nginx, then waits
# for trackd's spool to drain and compares the rows in `events` with the requests answered.
# Environment: WRK_ARGS (default "-t2 -c64 -d10s"), TRACKD_THREADS (default: CPUs).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
wrk_args=${WRK_ARGS:--t2 -c64 -d10s}
threads=${TRACKD_THREADS:-$(nproc)}
pg_bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/trackd-bench.XXXXXX)
chmod 755 "$work"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -f "$work/pg/postmaster.pid" ] && kill -INT "$(head -1 "$work/pg/postmaster.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
[ "${KEEP_LOG:-}" ] && trap 'cp "$work/trackd.log" "$KEEP_LOG"; cleanup' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_port=$(free_port); trackd_port=$(free_port); nginx_port=$(free_port); metrics_port=$(free_port)

# PostgreSQL (see ENVIRONMENT.md: no root, no systemd).
mkdir -p "$work/pg" "$work/pgsock" && chown postgres "$work/pg" "$work/pgsock"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust --no-sync -E UTF8 --no-locale -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pgsock/pg.log" -w \
  -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
psql() { command psql -X -q -t -A -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE waybill"
db_url="postgresql://postgres@127.0.0.1:$pg_port/waybill"

secret=$(openssl rand -hex 32)
echo "1 $secret" > "$work/token.keys" && chmod 600 "$work/token.keys"  # others may not read a key file
cat > "$work/waybill.conf" <<CONF
[database]
url = $db_url
[tracking]
key_file = $work/token.keys
base_url = http://127.0.0.1:$trackd_port
[trackd]
listen = 127.0.0.1:$trackd_port
metrics_listen = 127.0.0.1:$metrics_port
spool_dir = $work/spool
threads = $threads
spool_max_size = 8G
[log]
syslog = false
level = debug
CONF
WAYBILL_MIGRATIONS_DIR=$here/sql/migrations "$bin/waybill" --config "$work/waybill.conf" db migrate >/dev/null

# One message, one recipient, tokens for it (the wire format of core/token/tracking_token.h).
message=$(cat /proc/sys/kernel/random/uuid); recipient=$(cat /proc/sys/kernel/random/uuid)
psql -d waybill -c "INSERT INTO messages (id, envelope_sender, created_at) VALUES ('$message', 'bench@sender.example', now() - interval '1 day');
                    INSERT INTO recipients (id, message_id, address) VALUES ('$recipient', '$message', 'reader@dest.example')"
mint() {
  /usr/bin/python3 - "$secret" "$recipient" "$1" "${2:-}" <<'PY'
import base64, hashlib, hmac, sys, uuid
secret, rcpt, kind, url = bytes.fromhex(sys.argv[1]), uuid.UUID(sys.argv[2]), sys.argv[3], sys.argv[4]
payload = bytes([1, 1, ord(kind)]) + rcpt.bytes + url.encode()
print(base64.urlsafe_b64encode(payload + hmac.new(secret, payload, hashlib.sha256).digest()[:16]).rstrip(b"=").decode())
PY
}
open_token=$(mint o); click_token=$(mint c "https://shop.example/product/42?utm_source=mail")

"$bin/waybill-trackd" --config "$work/waybill.conf" > "$work/trackd.log" 2>&1 &
pids+=($!)

# nginx: same GIF, same 302 target, access log off (the most favourable setting for nginx).
printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b' > "$work/pixel.gif"
cat > "$work/nginx.conf" <<CONF
worker_processes $threads;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location /o/ { root $work; default_type image/gif; add_header Cache-Control "no-store, no-cache"; try_files /pixel.gif =404; }
    location /c/ { return 302 https://shop.example/product/42?utm_source=mail; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

for port in $trackd_port $metrics_port $nginx_port; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

# Waits until every spooled event is committed; prints the seconds it took.
metric() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
wait_drained() {
  local start; start=$(date +%s)
  until [ "$(metric waybill_trackd_spool_depth)" = 0 ]; do
    [ $(( $(date +%s) - start )) -lt 120 ] || {
      echo "spool did not drain" >&2; curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -v '^#' >&2
      tail -20 "$work/trackd.log" >&2; exit 1; }
    sleep 0.2
  done
  echo $(( $(date +%s) - start ))
}

# run_wrk NAME URL -> "requests_per_s p99 total_requests"; full output in $work/NAME.wrk
run_wrk() {
  # shellcheck disable=SC2086
  wrk $wrk_args --latency "$2" > "$work/$1.wrk"
  local rps p99 total errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.wrk")
  total=$(awk '/requests in/ {print $1}' "$work/$1.wrk")
  errors=$(awk '/Non-2xx or 3xx/ {print $NF}' "$work/$1.wrk"); errors=${errors:-0}
  [ "$errors" = 0 ] || { echo "$1: $errors error responses" >&2; cat "$work/$1.wrk" >&2; exit 1; }
  echo "$rps $p99 $total"
}

# The writer runs during each trackd run (it must keep up); what it has not written when wrk
# stops is drained before the next run, so no run pays for the one before.
read -r t_open_rps t_open_p99 t_open_n < <(run_wrk trackd-open "http://127.0.0.1:$trackd_port/o/$open_token")
drain_open=$(wait_drained)
read -r n_open_rps n_open_p99 _ < <(run_wrk nginx-open "http://127.0.0.1:$nginx_port/o/$open_token")
read -r t_click_rps t_click_p99 t_click_n < <(run_wrk trackd-click "http://127.0.0.1:$trackd_port/c/$click_token")
drain_click=$(wait_drained)
read -r n_click_rps n_click_p99 _ < <(run_wrk nginx-click "http://127.0.0.1:$nginx_port/c/$click_token")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "wrk $wrk_args, trackd threads=$threads, nginx workers=$threads, $(nproc) CPUs"
printf '%-8s %14s %10s %14s %10s %7s\n' path trackd_req/s p99 nginx_req/s p99 ratio
printf '%-8s %14s %10s %14s %10s %7s\n' /o "$t_open_rps" "$t_open_p99" "$n_open_rps" "$n_open_p99" "$(ratio "$t_open_rps" "$n_open_rps")"
printf '%-8s %14s %10s %14s %10s %7s\n' /c "$t_click_rps" "$t_click_p99" "$n_click_rps" "$n_click_p99" "$(ratio "$t_click_rps" "$n_click_rps")"

# Every answered request must become exactly one row.
answered=$(( $(metric 'waybill_trackd_requests_total{endpoint="open"}') + $(metric 'waybill_trackd_requests_total{endpoint="click"}') ))
rows=$(psql -d waybill -c "SELECT count(*) FROM events WHERE type IN ('opened', 'clicked')")
distinct=$(psql -d waybill -c "SELECT count(DISTINCT id) FROM events WHERE type IN ('opened', 'clicked')")
echo "spool drained ${drain_open}s after the /o run, ${drain_click}s after the /c run"
echo "wrk completed: $(( t_open_n + t_click_n )) requests; trackd answered: $answered; events rows: $rows (distinct ids $distinct)"
[ "$rows" = "$answered" ] && [ "$rows" = "$distinct" ] && echo "events == requests answered: OK" || { echo "MISMATCH" >&2; exit 1; }
