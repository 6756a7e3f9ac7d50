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

// SenderTotals' counts in the order of waybill_report_summary()'s columns after the sender, for
// the code that treats them all alike (reading, summing).
inline constexpr std::int64_t SenderTotals::*kSenderCounts[] = {
    &SenderTotals::accepted,       &SenderTotals::delivered,     &SenderTotals::deferred,
    &SenderTotals::bounced_hard,   &SenderTotals::bounced_soft,  &SenderTotals::opened_human,
    &SenderTotals::opened_machine, &SenderTotals::clicked_human, &SenderTotals::clicked_machine,
    &SenderTotals::unsubscribed,   &SenderTotals::complained,    &SenderTotals::suppressed};

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

// Results the bounce domain received but could not tie to a recipient (view unattributed_results):
// they changed nothing, and a sudden number of them is someone forging bounces.
struct UnattributedCount {
  std::string why;  // message_id_not_ours, token_names_another_recipient, ...
  std::int64_t results = 0;
};

// Deferred attempts to one receiving domain with one reply (report_deferral_replies).
struct DeferralReply {
  std::string domain;
  std::string reply;
  std::int64_t attempts = 0;
};

// Time from acceptance to delivery over the period's delivered copies (report_delivery_times).
struct DeliveryTimes {
  std::int64_t delivered = 0;  // copies measured; 0: no delivery data
  double p50_seconds = 0;
  double p95_seconds = 0;
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
  std::vector<UnattributedCount> unattributed;  // every sender's period only (they name no sender)
  std::vector<DeferralReply> deferral_replies;  // the most frequent per domain, most frequent first
  DeliveryTimes delivery_times;
};

// True once any delivery attempt (delivered or deferred) is known for the period: before that a
// delivery rate would be a misleading 0 %.
bool hasDeliveryData(const SenderTotals& all);
// "1.2 s", "3 min 20 s", "2 h 5 min".
std::string formatDuration(double seconds);

// The totals of all senders together (sender "all"): what the funnel shows.
SenderTotals sumTotals(const std::vector<SenderTotals>& senders);

// Part as a percentage of whole with one decimal ("12.5%"); "-" when whole is zero.
std::string percentOf(std::int64_t part, std::int64_t whole);

}  // namespace waybill::report
