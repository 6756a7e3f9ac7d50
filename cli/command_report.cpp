// `waybill report [--sender S] [--since D] [--until D] [--html FILE]`: the period's numbers from
// the reporting views (docs/reporting.md) as a terminal table, and optionally as one offline HTML
// page with charts. D is YYYY-MM-DD (UTC) or Nd for N days ago; the default is the last 30 days.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "cli_support.h"
#include "commands.h"
#include "report/html_report.h"
#include "report/report_data.h"
#include "report/summary_table.h"
#include "store/report_store.h"

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
  auto since = parsed ? store::reportDayExpression(parsed->since, true) : Result<std::string>(makeError(parsed.error()));
  auto until = !parsed || parsed->until.empty() ? Result<std::string>(store::reportTomorrowExpression())
                                                 : store::reportDayExpression(parsed->until, false);
  for (const auto* checked : {&since, &until}) {
    if (!*checked) {
      fmt::print(stderr, "waybill report: {}\n{}", checked->error(), kUsage);
      return kExitUsage;
    }
  }
  // Two dates given: a reversed range is refused before the database is asked.
  if (!parsed->until.empty() && parsed->since.size() == 10 && parsed->since.back() != 'd' && parsed->since >= parsed->until) {
    fmt::print(stderr, "waybill report: empty period: --since {} is not before --until {}\n", parsed->since, parsed->until);
    return kExitUsage;
  }
  int failed = 0;
  auto conn = openDatabase(config, "report", failed);
  if (!conn) return failed;
  report::ReportData data;
  data.sender_filter = parsed->sender;
  auto read = store::resolveReportPeriod(*conn, *since, *until, data);
  // A period that ends before it starts is the caller's mistake (e.g. --since 30d --until 60 days ago).
  if (read && data.since >= data.until) {
    fmt::print(stderr, "waybill report: empty period: --since {} is not before --until {}\n", data.since, data.until);
    return kExitUsage;
  }
  if (read) read = store::readReport(*conn, data);
  if (!read) {
    fmt::print(stderr, "waybill report: {}\n", read.error());
    return kExitSoftware;
  }
  fmt::print("{}", report::formatSummary(data));
  if (parsed->html_path.empty()) return 0;
  if (auto written = writeFile(parsed->html_path, report::renderHtml(data)); !written) {
    fmt::print(stderr, "waybill report: {}\n", written.error());
    return kExitCantCreate;
  }
  fmt::print("\nwrote {}\n", parsed->html_path);
  return 0;
}

const char* reportUsage() { return kUsage; }

}  // namespace waybill::cli
