// ReportData: the numbers one `waybill report` shows, read from the reporting views by the CLI and
// rendered by SummaryTable (terminal) and HtmlReport (one offline page). Plain values, no I/O, so
// the renderers are tested on hand-made data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace waybill::report {

// Period totals of one sender (uniques over the whole period), as waybill_report_summary() returns.
struct SenderTotals {
  std::string sender;
  std::int64_t accepted = 0;
  std::int64_t delivered = 0;
  std::int64_t deferred = 0;
  std::int64_t bounced_hard = 0;
  std::int64_t bounced_soft = 0;
  std::int64_t opened_human = 0;
  std::int64_t opened_machine = 0;
  std::int64_t clicked_human = 0;
  std::int64_t clicked_machine = 0;
  std::int64_t unsubscribed = 0;
  std::int64_t complained = 0;
  std::int64_t suppressed = 0;
};

// One UTC day of report_sender_daily, summed over the senders in the report.
struct DayVolume {
  std::string day;  // YYYY-MM-DD
  std::int64_t accepted = 0;
  std::int64_t delivered = 0;
  std::int64_t bounced = 0;
  std::int64_t opened_human = 0;
  std::int64_t clicked_human = 0;
};

// One line of report_bounce_reasons, summed over days and domains.
struct BounceReason {
  std::string reason;
  std::string bounce_class;  // hard | soft
  std::int64_t bounces = 0;
};

struct ReportData {
  std::string title = "Waybill report";
  std::string sender_filter;  // empty: every sender
  std::string since;          // inclusive, YYYY-MM-DD (UTC)
  std::string until;          // exclusive, YYYY-MM-DD (UTC)
  std::string generated_at;   // RFC 3339
  std::vector<SenderTotals> senders;
  std::vector<DayVolume> days;
  std::vector<BounceReason> bounce_reasons;
};

// The totals of all senders together (sender "all"): what the funnel shows.
SenderTotals sumTotals(const std::vector<SenderTotals>& senders);

// Part as a percentage of whole with one decimal ("12.5%"); "-" when whole is zero.
std::string percentOf(std::int64_t part, std::int64_t whole);

}  // namespace waybill::report
