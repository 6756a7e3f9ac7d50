#include "policy/quota_counter.h"

#include <fmt/format.h>

#include <algorithm>

#include "mail/address.h"

namespace waybill::policy {
QuotaCounter::QuotaCounter(std::vector<QuotaRule> rules, Clock clock)
    : rules_(std::move(rules)), clock_(std::move(clock)), epoch_(clock_()) {}

std::int64_t QuotaCounter::slotOf(const QuotaRule& rule) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - epoch_).count();
  const auto slot_ms = std::max<std::int64_t>(1, rule.window.count() * 1000 / static_cast<std::int64_t>(kSlots));
  return elapsed / slot_ms;
}

// Moves the window forward to `slot`, forgetting the slots that fell out of it.
void QuotaCounter::advance(Window& window, std::int64_t slot) {
  if (slot <= window.newest_slot) return;
  const std::int64_t steps = std::min<std::int64_t>(slot - window.newest_slot, static_cast<std::int64_t>(kSlots));
  for (std::int64_t i = 1; i <= steps; ++i) {
    auto& count = window.counts[static_cast<std::size_t>(window.newest_slot + i) % kSlots];
    window.total -= count;
    count = 0;
  }
  window.newest_slot = slot;
}

std::optional<QuotaExceeded> QuotaCounter::tryConsume(std::string_view sasl_user, std::string_view sender_domain) {
  std::vector<Window*> applicable;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& rule = rules_[i];
    const std::string_view subject = rule.subject == QuotaRule::Subject::SaslUser ? sasl_user : sender_domain;
    if (!rule.appliesTo(subject)) continue;
    auto key = std::make_pair(i, toLower(subject));
    auto it = windows_.find(key);
    if (it == windows_.end()) it = windows_.emplace(std::move(key), Window{{}, slotOf(rule), 0}).first;
    Window& window = it->second;
    advance(window, slotOf(rule));
    if (window.total >= rule.limit) return QuotaExceeded{&rule, std::string(subject)};
    applicable.push_back(&window);
  }
  for (Window* window : applicable) {
    ++window->counts[static_cast<std::size_t>(window->newest_slot) % kSlots];
    ++window->total;
  }
  return std::nullopt;
}

}  // namespace waybill::policy
