#include "milter_metrics.h"

#include "store/database_probe.h"
#include "runtime/metrics_family.h"

#include <algorithm>

#include "mail/address.h"

namespace waybill::milter {
namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string_view dkimAlgorithm(std::string_view signature) {
  while (!signature.empty()) {
    const auto semicolon = signature.find(';');
    const std::string_view tag = trimmed(signature.substr(0, semicolon));
    const auto equals = tag.find('=');
    if (equals != std::string_view::npos && trimmed(tag.substr(0, equals)) == "a") {  // FWS allowed around '='
      const std::string_view algorithm = trimmed(tag.substr(equals + 1));
      if (algorithm == "rsa-sha256" || algorithm == "ed25519-sha256") return algorithm;
      return "other";
    }
    if (semicolon == std::string_view::npos) break;
    signature.remove_prefix(semicolon + 1);
  }
  return "other";
}

MilterMetrics::MilterMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  metrics::labelledCounters(
      *registry_, "waybill_milter_messages_total",
      "End-of-message outcomes (per-recipient copies are transactions of their own).", "result",
      {{"accepted", &accepted_}, {"held", &held_}, {"tempfail", &tempfailed_}, {"rejected", &rejected_}});
  tempfails_ =
      &metrics::counterFamily(*registry_, "waybill_milter_tempfails_total",
                              "Messages deferred, by the pipeline stage (or adapter step) that deferred them.");
  rejects_ = &metrics::counterFamily(*registry_, "waybill_milter_rejects_total",
                                     "Messages rejected, by the pipeline stage that rejected them.");
  suppressions_ =
      &metrics::gauge(*registry_, "waybill_milter_suppressions", "Entries in the milter's in-memory suppression list.");
  metrics::counters(
      *registry_,
      {{&recipients_, "waybill_milter_recipients_total",
        "Recipients delivered by accepted transactions (each once, copies included)."},
       {&recipients_suppressed_, "waybill_milter_recipients_suppressed_total",
        "Recipients removed from messages because they are suppressed."},
       {&bodies_rewritten_, "waybill_milter_bodies_rewritten_total",
        "Accepted messages whose body was rewritten (tracking links, pixel)."},
       {&copies_injected_, "waybill_milter_copies_injected_total",
        "Per-recipient copies re-injected (recipients handed to their own copy)."},
       {&spooled_bodies_, "waybill_milter_spooled_bodies_total",
        "Bodies spooled to disk past milter.spool_memory_limit_kb."}});
  metrics::labelledCounters(*registry_, "waybill_milter_signatures_total", "DKIM signatures added, by algorithm.",
                            "algorithm",
                            {{"rsa-sha256", &rsa_signatures_},
                             {"ed25519-sha256", &ed25519_signatures_},
                             {"other", &other_signatures_}});
  message_seconds_ = &metrics::histogram(
      *registry_, "waybill_milter_message_seconds", "End-of-message processing time (pipeline and edits).",
      prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                              30});
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "milter", "probed at each scrape");
}

void MilterMetrics::record(const EndOfMessage& end) {
  message_seconds_->Observe(end.seconds);
  if (end.message.body && end.message.body->spilled()) spooled_bodies_->Increment();
  // Removed for good unless the transaction is retried (a tempfail decides again next time).
  if (end.outcome != StageStatus::Outcome::TempFail)
    recipients_suppressed_->Increment(static_cast<double>(end.message.suppressed_recipients.size()));
  switch (end.outcome) {
    case StageStatus::Outcome::Continue: countAccepted(end.message); break;
    case StageStatus::Outcome::TempFail:
      tempfailed_->Increment();
      tempfails_->Add({{"cause", std::string(end.cause)}}).Increment();
      break;
    case StageStatus::Outcome::Reject:
    case StageStatus::Outcome::Discard:  // refused without a client to tell: counted with rejects
      rejected_->Increment();
      rejects_->Add({{"cause", std::string(end.cause)}}).Increment();
      break;
  }
}

void MilterMetrics::countEarlyTempfail(std::string_view cause) {
  tempfailed_->Increment();
  tempfails_->Add({{"cause", std::string(cause)}}).Increment();
}

void MilterMetrics::countAccepted(const MilterMessage& message) {
  (message.quarantine_reason ? held_ : accepted_)->Increment();
  const auto& recipients = message.envelope.recipients;
  const auto handed_off = std::min(message.recipients_to_delete.size(), recipients.size());
  recipients_->Increment(static_cast<double>(recipients.size() - handed_off));
  copies_injected_->Increment(static_cast<double>(message.recipients_to_delete.size()));
  if (message.replacement_body) bodies_rewritten_->Increment();
  for (const auto& edit : message.header_edits) {
    if (!edit.value || edit.kind == HeaderEdit::Kind::Change || !equalsIgnoreCase(edit.name, "DKIM-Signature"))
      continue;
    const std::string_view algorithm = dkimAlgorithm(*edit.value);
    (algorithm == "rsa-sha256" ? rsa_signatures_ : algorithm == "ed25519-sha256" ? ed25519_signatures_
                                                                                  : other_signatures_)
        ->Increment();
  }
}

}  // namespace waybill::milter
