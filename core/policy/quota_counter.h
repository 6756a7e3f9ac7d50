// QuotaRule / QuotaCounter: "at most LIMIT messages per WINDOW" per SASL user or sender domain.
// Each (rule, subject) pair counts in a sliding window of 60 slots, so the window rolls smoothly
// (granularity window/60) with bounded memory however high the limit. Thread-safe; the clock is
// injected so tests can roll windows without waiting.
//
//   auto rule = parseQuotaRule("sasl:* 100/hour");            // every SASL user: 100 an hour
//   QuotaCounter quotas({*rule}, [] { return steady_clock::now(); });
//   if (auto over = quotas.tryConsume("alice", "example.com")) defer(over->text());
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/quota_rule.h"

namespace waybill::policy {

struct QuotaExceeded {
  const QuotaRule* rule;
  std::string subject;
};

class QuotaCounter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  QuotaCounter(std::vector<QuotaRule> rules, Clock clock);

  bool empty() const { return rules_.empty(); }
  // Counts one message for the SASL user (may be empty) and sender domain unless a rule that
  // applies is already at its limit; then nothing is counted and the first such rule is returned.
  std::optional<QuotaExceeded> tryConsume(std::string_view sasl_user, std::string_view sender_domain);

 private:
  static constexpr std::size_t kSlots = 60;
  struct Window {
    std::array<std::uint64_t, kSlots> counts{};
    std::int64_t newest_slot = 0;  // absolute slot number of counts[newest_slot % kSlots]
    std::uint64_t total = 0;
  };
  static void advance(Window& window, std::int64_t slot);
  std::int64_t slotOf(const QuotaRule& rule) const;

  const std::vector<QuotaRule> rules_;
  const Clock clock_;
  const std::chrono::steady_clock::time_point epoch_;
  std::mutex mutex_;
  std::map<std::pair<std::size_t, std::string>, Window, std::less<>> windows_;  // (rule index, subject)
};

}  // namespace waybill::policy
