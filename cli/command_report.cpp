// `waybill report [--sender S] [--since D] [--until D] [--html FILE]`: the period's numbers from
// the reporting views (docs/reporting.md) as a terminal table, and optionally as one offline HTML
// page with charts. D is YYYY-MM-DD (UTC) or Nd for N days ago; the default is the last 30 days.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "commands.h"
#include "db/pg_connection.h"
#include "report/html_report.h"
#include "report/report_data.h"
#include "report/retention.h"
#include "report/summary_table.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill report [--sender ADDRESS] [--since YYYY-MM-DD|Nd] [--until YYYY-MM-DD] [--html FILE]\n"
    "  --since  first UTC day included (default 30d: thirty days ago)\n"
    "  --until  first UTC day not included (default tomorrow)\n"
    "  --html   also write a self-contained HTML page with charts to FILE\n";

struct ReportArgs {
  std::string sender;
  std::string since = "30d";
  std::string until;
  std::string html_path;
};

Result<ReportArgs> parseArgs(const Args& args) {
  ReportArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--sender" && has_value) parsed.sender = args[++i];
    else if (args[i] == "--since" && has_value) parsed.since = args[++i];
    else if (args[i] == "--until" && has_value) parsed.until = args[++i];
    else if (args[i] == "--html" && has_value) parsed.html_path = args[++i];
    else return makeError(fmt::format("unexpected argument '{}'", args[i]));
  }
  return parsed;
}

// "Nd" -> the interval PostgreSQL subtracts from today; a date stays a date. SQL never sees raw text.
Result<std::string> dayExpression(const std::string& text, bool allow_relative) {
  if (allow_relative && text.size() > 1 && text.back() == 'd') {
    auto retention = report::parseRetention(text.substr(0, text.size() - 1) + "days");
    if (retention) return fmt::format("(now() AT TIME ZONE 'UTC')::date - interval '{}'", *retention);
  }
  auto date = report::parseDate(text);
  if (!date || text.size() != 10) return makeError(fmt::format("'{}' is not a day (YYYY-MM-DD{})", text, allow_relative ? " or Nd" : ""));
  return fmt::format("'{:04}-{:02}-{:02}'::date", date->year, date->month, date->day);
}

std::int64_t toInt(std::string_view text) { return text.empty() ? 0 : std::stoll(std::string(text)); }

PgParam senderParam(const std::string& sender) { return sender.empty() ? PgParam{} : PgParam{sender}; }

Status readSummary(PgConnection& conn, report::ReportData& data) {
  auto rows = conn.exec("SELECT * FROM waybill_report_summary($1::date, $2::date, $3)",
                        {data.since, data.until, senderParam(data.sender_filter)});
  if (!rows) return makeError(rows.error());
  for (int r = 0; r < rows->rows(); ++r) {
    report::SenderTotals t;
    t.sender = rows->get(r, 0);
    std::int64_t* fields[] = {&t.accepted,     &t.delivered,      &t.deferred,      &t.bounced_hard,
                              &t.bounced_soft, &t.opened_human,   &t.opened_machine, &t.clicked_human,
                              &t.clicked_machine, &t.unsubscribed, &t.complained,    &t.suppressed};
    for (int c = 0; c < 12; ++c) *fields[c] = toInt(rows->get(r, c + 1));
    data.senders.push_back(t);
  }
  return {};
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
      {data.since, data.until, senderParam(data.sender_filter)});
  if (!rows) return makeError(rows.error());
  for (int r = 0; r < rows->rows(); ++r) {
    data.days.push_back({std::string(rows->get(r, 0)), toInt(rows->get(r, 1)), toInt(rows->get(r, 2)),
                         toInt(rows->get(r, 3)), toInt(rows->get(r, 4)), toInt(rows->get(r, 5))});
  }
  return {};
}

Status readBounceReasons(PgConnection& conn, report::ReportData& data) {
  auto rows = conn.exec(
      "SELECT reason, bounce_class, sum(bounces) FROM report_bounce_reasons"
      " WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR sender = lower($3))"
      " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 12",
      {data.since, data.until, senderParam(data.sender_filter)});
  if (!rows) return makeError(rows.error());
  for (int r = 0; r < rows->rows(); ++r)
    data.bounce_reasons.push_back({std::string(rows->get(r, 0)), std::string(rows->get(r, 1)), toInt(rows->get(r, 2))});
  return {};
}

// Resolves the period to concrete days (so every query and the page agree) and reads the views.
Status readReport(PgConnection& conn, const std::string& since, const std::string& until, report::ReportData& data) {
  if (auto tz = conn.exec("SET TIME ZONE 'UTC'"); !tz) return makeError(tz.error());
  auto period = conn.exec(fmt::format(
      "SELECT ({})::date::text, ({})::date::text, to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", since, until));
  if (!period) return makeError(period.error());
  data.since = period->get(0, 0);
  data.until = period->get(0, 1);
  data.generated_at = period->get(0, 2);
  if (data.since >= data.until) return makeError(fmt::format("empty period: {} is not before {}", data.since, data.until));
  if (auto s = readSummary(conn, data); !s) return s;
  if (auto s = readDays(conn, data); !s) return s;
  return readBounceReasons(conn, data);
}

Status writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return makeError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  return {};
}

}  // namespace

int runReport(const Config& config, const Args& args) {
  auto parsed = parseArgs(args);
  auto since = parsed ? dayExpression(parsed->since, true) : Result<std::string>(makeError(parsed.error()));
  auto until = !parsed || parsed->until.empty() ? Result<std::string>("(now() AT TIME ZONE 'UTC')::date + 1")
                                                 : dayExpression(parsed->until, false);
  for (const auto* checked : {&since, &until}) {
    if (!*checked) {
      fmt::print(stderr, "waybill report: {}\n{}", checked->error(), kUsage);
      return 64;
    }
  }
  auto conn = PgConnection::connect(config.database);
  if (!conn) {
    fmt::print(stderr, "waybill report: {}\n", conn.error());
    return 75;
  }
  report::ReportData data;
  data.sender_filter = parsed->sender;
  if (auto read = readReport(*conn, *since, *until, data); !read) {
    fmt::print(stderr, "waybill report: {}\n", read.error());
    return 70;
  }
  fmt::print("{}", report::formatSummary(data));
  if (parsed->html_path.empty()) return 0;
  if (auto written = writeFile(parsed->html_path, report::renderHtml(data)); !written) {
    fmt::print(stderr, "waybill report: {}\n", written.error());
    return 73;
  }
  fmt::print("\nwrote {}\n", parsed->html_path);
  return 0;
}

}  // namespace waybill::cli
