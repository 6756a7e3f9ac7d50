#include "store/report_store.h"

#include <fmt/format.h>

#include "report/retention.h"
#include "store/pg_rows.h"

namespace waybill::store {
namespace {

std::int64_t toInt(std::string_view text) { return text.empty() ? 0 : std::stoll(std::string(text)); }

PgParam senderParam(const std::string& sender) { return sender.empty() ? PgParam{} : PgParam{sender}; }

// The parameters of the queries over the report: $1 since, $2 until, $3 the sender (NULL: all).
std::vector<PgParam> periodParams(const report::ReportData& data) {
  return {data.since, data.until, senderParam(data.sender_filter)};
}

Status readSummary(PgConnection& conn, report::ReportData& data) {
  return appendRows(data.senders,
                    conn.exec("SELECT * FROM waybill_report_summary($1::date, $2::date, $3)", periodParams(data)),
                    [](const PgResult& rows, int r) {
                      report::SenderTotals t;
                      t.sender = rows.get(r, 0);
                      int column = 1;
                      for (const auto count : report::kSenderCounts) t.*count = toInt(rows.get(r, column++));
                      return t;
                    });
}

Status readDays(PgConnection& conn, report::ReportData& data) {
  auto rows = conn.exec(
      "SELECT d::date::text, COALESCE(sum(v.accepted), 0), COALESCE(sum(v.delivered), 0),"
      " COALESCE(sum(v.bounced_hard + v.bounced_soft), 0), COALESCE(sum(v.opened_human), 0),"
      " COALESCE(sum(v.clicked_human), 0)"
      " FROM generate_series($1::date, $2::date - 1, interval '1 day') d"
      " LEFT JOIN report_sender_daily v ON v.day = d::date AND ($3::text IS NULL OR v.sender = lower($3))"
      "   AND v.day >= $1::date AND v.day < $2::date"
      " GROUP BY 1 ORDER BY 1",
      periodParams(data));
  return appendRows(data.days, rows, [](const PgResult& day, int r) {
    return report::DayVolume{std::string(day.get(r, 0)), toInt(day.get(r, 1)), toInt(day.get(r, 2)),
                             toInt(day.get(r, 3)),       toInt(day.get(r, 4)), toInt(day.get(r, 5))};
  });
}

// What the bounce domain could not attribute names no sender: shown in the all-senders report only.
Status readUnattributed(PgConnection& conn, report::ReportData& data) {
  if (!data.sender_filter.empty()) return {};
  auto rows = conn.exec(
      "SELECT why, count(*) FROM unattributed_results WHERE received_at >= $1::date AND received_at < $2::date"
      " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 12",
      {data.since, data.until});
  return appendRows(data.unattributed, rows, [](const PgResult& why, int r) {
    return report::UnattributedCount{std::string(why.get(r, 0)), toInt(why.get(r, 1))};
  });
}

// The report's lists of (text, text, count) rows over the period, busiest first: the bounce
// reasons, and the three most frequent deferral replies of each receiving domain.
constexpr const char* kBounceReasons =
    "SELECT reason, bounce_class, sum(bounces) FROM report_bounce_reasons"
    " WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR sender = lower($3))"
    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 12";
constexpr const char* kDeferralReplies =
    "SELECT receiving_domain, reply, attempts FROM ("
    "  SELECT receiving_domain, reply, sum(attempts) AS attempts,"
    "         row_number() OVER (PARTITION BY receiving_domain ORDER BY sum(attempts) DESC, reply) AS rank"
    "  FROM report_deferral_replies"
    "  WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR sender = lower($3))"
    "  GROUP BY 1, 2) r"
    " WHERE rank <= 3 ORDER BY attempts DESC, 1, 2 LIMIT 15";

template <typename Row>
Status readCounted(PgConnection& conn, report::ReportData& data, const char* sql, std::vector<Row>& into) {
  return appendRows(into, conn.exec(sql, periodParams(data)), [](const PgResult& rows, int r) {
    return Row{std::string(rows.get(r, 0)), std::string(rows.get(r, 1)), toInt(rows.get(r, 2))};
  });
}

Status readDeliveryTimes(PgConnection& conn, report::ReportData& data) {
  auto rows = conn.exec(
      "SELECT count(*), COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM time_to_delivery)), 0),"
      " COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM time_to_delivery)), 0)"
      " FROM report_delivery_times"
      " WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR sender = lower($3))",
      periodParams(data));
  if (!rows) return makeError(rows.error());
  data.delivery_times.delivered = toInt(rows->get(0, 0));
  data.delivery_times.p50_seconds = std::stod(std::string(rows->get(0, 1)));
  data.delivery_times.p95_seconds = std::stod(std::string(rows->get(0, 2)));
  return {};
}

}  // namespace

// "Nd" -> the interval PostgreSQL subtracts from today; a date stays a date. SQL never sees raw text.
Result<std::string> reportDayExpression(const std::string& text, bool allow_relative) {
  if (allow_relative && text.size() > 1 && text.back() == 'd') {
    auto retention = report::parseRetention(text.substr(0, text.size() - 1) + "days");
    if (retention) return fmt::format("(now() AT TIME ZONE 'UTC')::date - interval '{}'", *retention);
  }
  auto date = report::parseDate(text);
  if (!date || text.size() != 10) return makeError(fmt::format("'{}' is not a day (YYYY-MM-DD{})", text, allow_relative ? " or Nd" : ""));
  return fmt::format("'{:04}-{:02}-{:02}'::date", date->year, date->month, date->day);
}

std::string reportTomorrowExpression() { return "(now() AT TIME ZONE 'UTC')::date + 1"; }

// Resolves the period to concrete days, so every query and the page agree.
Status resolveReportPeriod(PgConnection& conn, const std::string& since, const std::string& until, report::ReportData& data) {
  if (auto tz = conn.exec("SET TIME ZONE 'UTC'"); !tz) return makeError(tz.error());
  auto period = conn.exec(fmt::format(
      "SELECT ({})::date::text, ({})::date::text, to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", since, until));
  if (!period) return makeError(period.error());
  data.since = period->get(0, 0);
  data.until = period->get(0, 1);
  data.generated_at = period->get(0, 2);
  return {};
}

Status readReport(PgConnection& conn, report::ReportData& data) {
  if (auto s = readSummary(conn, data); !s) return s;
  if (auto s = readDays(conn, data); !s) return s;
  if (auto s = readCounted(conn, data, kDeferralReplies, data.deferral_replies); !s) return s;
  if (auto s = readDeliveryTimes(conn, data); !s) return s;
  if (auto s = readCounted(conn, data, kBounceReasons, data.bounce_reasons); !s) return s;
  return readUnattributed(conn, data);
}


}  // namespace waybill::store
