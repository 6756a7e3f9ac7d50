#!/usr/bin/env bash
# Reporting benchmark (issue 9): a private PostgreSQL 15 with stock settings, the Waybill schema,
# N generated events (default 10 million, bench/gen_events.py), then each reporting view queried for
# the busiest sender over the last 30 days: three timed runs each, and the EXPLAIN (ANALYZE, BUFFERS)
# plan of the last one. Not part of CI (it takes minutes); run as root:
#
#   bench/reporting_bench.sh [EVENTS]          # WAYBILL_BIN=path/to/waybill, KEEP=1 keeps the cluster
set -euo pipefail
EVENTS=${1:-10000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WAYBILL=${WAYBILL_BIN:-$ROOT/build/bin/waybill}
PG=/usr/lib/postgresql/15/bin
DIR=$(mktemp -d /tmp/waybill-reporting-bench-XXXXXX)
chmod 755 "$DIR" && chown postgres "$DIR"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="postgresql://postgres@127.0.0.1:$PORT/waybill"
PSQL=(psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d waybill -v ON_ERROR_STOP=1)

stop() {
  [ -f "$DIR/data/postmaster.pid" ] && runuser -u postgres -- "$PG/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
}
trap stop EXIT

runuser -u postgres -- "$PG/initdb" -D "$DIR/data" -A trust --no-sync -E UTF8 --no-locale -U postgres >/dev/null
# Stock memory settings (shared_buffers 128MB, work_mem 4MB): a small PostgreSQL. fsync off only
# speeds up the load; it does not change how queries run.
runuser -u postgres -- "$PG/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=4GB" start >/dev/null
psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE waybill"
WAYBILL_MIGRATIONS_DIR="$ROOT/sql/migrations" "$WAYBILL" --database.url "$URL" db migrate >/dev/null

echo "== generating $EVENTS events"
/usr/bin/time -f "generator: %e s elapsed" /usr/bin/python3 "$ROOT/bench/gen_events.py" --url "$URL" --events "$EVENTS"
"${PSQL[@]}" -c "SELECT count(*) AS events, pg_size_pretty(pg_total_relation_size('events_p' || to_char(now(), 'YYYY_MM'))) AS this_month_partition FROM events"
SENDER=$("${PSQL[@]}" -At -c "SELECT lower(sender) FROM events WHERE type = 'accepted' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
"${PSQL[@]}" -c "SELECT '$SENDER' AS busiest_sender, count(*) AS its_events_last_30_days FROM events
                 WHERE lower(sender) = '$SENDER' AND occurred_at >= now() - interval '30 days'"

declare -A QUERIES=(
  [1_sender_daily]="SELECT * FROM report_sender_daily WHERE sender = '$SENDER' AND day >= current_date - 30 ORDER BY day"
  [2_timeline_sender]="SELECT * FROM report_message_timeline WHERE sender = '$SENDER' AND occurred_at >= now() - interval '30 days' ORDER BY occurred_at"
  [3_timeline_one_message]="SELECT * FROM report_message_timeline WHERE message_id = (SELECT message_id FROM events WHERE lower(sender) = '$SENDER' AND type = 'accepted' AND occurred_at >= now() - interval '3 days' LIMIT 1) ORDER BY occurred_at"
  [4_bounce_reasons]="SELECT * FROM report_bounce_reasons WHERE sender = '$SENDER' AND day >= current_date - 30 ORDER BY bounces DESC"
  [5_link_performance]="SELECT * FROM report_link_performance WHERE sender = '$SENDER' AND day >= current_date - 30 ORDER BY clicks_human DESC"
  [6_suppression_growth]="SELECT * FROM report_suppression_growth WHERE scope = 'sender' AND scope_value = '$SENDER' AND day >= current_date - 30 ORDER BY day"
  [7_period_summary]="SELECT * FROM waybill_report_summary(now() - interval '30 days', now(), '$SENDER')"
)
for name in $(printf '%s\n' "${!QUERIES[@]}" | sort); do
  sql=${QUERIES[$name]}
  echo
  echo "== $name: $sql"
  # Rows go to /dev/null: the time is the query's, including sending every row to the client.
  "${PSQL[@]}" -c '\timing on' -c '\o /dev/null' -c "$sql" -c "$sql" -c "$sql" 2>&1 | grep '^Time:' | sed 's/^/  run /'
  "${PSQL[@]}" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql" | sed 's/^/    /'
done

echo
echo "== waybill report --sender $SENDER (end to end, last 30 days)"
/usr/bin/time -f "  %e s elapsed" "$WAYBILL" --database.url "$URL" report --sender "$SENDER" --html "$DIR/report.html" >/dev/null
echo "== waybill db prune --older-than 13months"
/usr/bin/time -f "  %e s elapsed" "$WAYBILL" --database.url "$URL" db prune --older-than 13months
